import { describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import type { ChatRequest } from '../core/types.js';
import { createGateway } from '../gateway/gateway.js';
import { FakeClock, FakeProvider, failure, rawDeployment } from '../routing/testing/fakes.js';
import { openRateLimiter } from './open.js';
import { userRequest } from '../testing/canonical.js';

const hello: ChatRequest = userRequest('chat', 'hi', { maxOutputTokens: 10 });

async function build() {
  const config = resolveConfig({
    api_keys: [{ id: 'k1', key: 'sk-test-1', team: 'research', rate_limit: { requests_per_minute: 2 } }],
    deployments: [rawDeployment('a')],
    groups: [{ name: 'chat', deployments: ['a'] }],
    rate_limits: [{ name: 'research-tpm', match: { team: 'research' }, tokens_per_minute: 10_000 }],
  });
  const clock = new FakeClock();
  clock.t = Date.parse('2025-06-15T12:00:45Z');
  const opened = await openRateLimiter(config, silentLogger, () => clock.now());
  if (!opened) throw new Error('expected a limiter');
  const provider = new FakeProvider('a');
  const gateway = createGateway(config, { clock, admission: opened.limiter, observers: [opened.limiter], createProvider: () => provider });
  return { gateway, provider };
}

const tags = { key: 'k1', team: 'research' };

describe('rate limits in the gateway', () => {
  it("returns the key's and the team's x-ratelimit headers with chat, stream and embedding answers, then refuses with them", async () => {
    const { gateway, provider } = await build();
    const chat = await gateway.chat(hello, { tags });
    expect(chat.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-reset-requests': '15s', 'x-ratelimit-limit-tokens': '10000' });
    const stream = await gateway.stream(hello, { tags });
    for await (const part of stream.parts) void part;
    expect(stream.headers?.['x-ratelimit-remaining-requests']).toBe('0');
    const calls = provider.calls;
    const err = await gateway.chat(hello, { tags }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(GatewayError.isInstance(err) && err.kind).toBe('rate_limited');
    expect((err as GatewayError).retryAfterMs).toBe(15_000);
    expect((err as GatewayError).headers?.['x-ratelimit-remaining-requests']).toBe('0');
    // Refused before any upstream call.
    expect(provider.calls).toBe(calls);
  });

  it("reserves the group's system prompt with the client's: it goes upstream and is billed", async () => {
    const config = resolveConfig({
      deployments: [rawDeployment('a')],
      groups: [{ name: 'chat', deployments: ['a'], system_prompt: 'x'.repeat(40_000) }],
      rate_limits: [{ name: 'tpm', match: {}, tokens_per_minute: 100_000 }],
    });
    const opened = await openRateLimiter(config, silentLogger, () => 0);
    if (!opened) throw new Error('expected a limiter');
    const gateway = createGateway(config, { admission: opened.limiter, observers: [opened.limiter], createProvider: () => new FakeProvider('a') });
    const chat = await gateway.chat(hello, {});
    // 40,000 characters are about 10,000 tokens, held from the limit before the answer settles.
    expect(Number(chat.headers?.['x-ratelimit-remaining-tokens'])).toBeLessThan(90_000);
  });

  it("carries the request's headers on an upstream failure too, for chat and streams", async () => {
    const { gateway, provider } = await build();
    provider.script = () => failure('invalid_request');
    const chat = await gateway.chat(hello, { tags }).then(() => undefined, (e: unknown) => e as GatewayError);
    expect(chat?.kind).toBe('invalid_request');
    expect(chat?.headers?.['x-ratelimit-remaining-requests']).toBe('1');
    const stream = await gateway.stream(hello, { tags }).then(() => undefined, (e: unknown) => e as GatewayError);
    expect(stream?.headers?.['x-ratelimit-remaining-requests']).toBe('0');
  });

  it('leaves callers no rule matches without headers', async () => {
    const { gateway } = await build();
    expect((await gateway.chat(hello, { tags: { key: 'other' } })).headers).toBeUndefined();
  });

  it('refuses a rule naming a group the config does not have, at its path', () => {
    const parsed = parseConfig({ deployments: [rawDeployment('a')], groups: [{ name: 'chat', deployments: ['a'] }], rate_limits: [{ name: 'x', group: 'chta', requests_per_minute: 1 }] }, {});
    expect(parsed.ok ? [] : parsed.problems).toEqual([expect.objectContaining({ path: 'rate_limits[0].group', message: 'unknown group "chta"' })]);
  });
});
