import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallContext } from '../core/provider.js';
import { GatewayError, unreadableReply } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ConfigInput } from '../config/schema.js';
import { makeUsage, type ChatRequest, type EmbeddingRequest, type StreamPart } from '../core/types.js';
import { estimatePrompt } from '../core/estimate.js';
import { answer, answerText, assistantText, systemText, userRequest, userText } from '../testing/canonical.js';
import { FakeClock, failure, rawDeployment } from '../routing/testing/fakes.js';
import { MemoryStateStore } from '../state/memory.js';
import { breakerKey, upstreamDigest } from '../routing/breaker-sync.js';
import type { Gateway } from './gateway.js';
import { fakeGateway } from './testing/fake-gateway.js';

const build = fakeGateway;

const twoDeployments = {
  deployments: [rawDeployment('primary', { tags: ['us'] }), rawDeployment('secondary', { tags: ['eu'] })],
  groups: [{ name: 'chat', deployments: ['primary', 'secondary'] }],
};

const hello = (over: Partial<ChatRequest> = {}): ChatRequest => userRequest('chat', 'hi', over);

async function drain(parts: AsyncIterable<StreamPart>): Promise<string> {
  let text = '';
  for await (const p of parts) if (p.type === 'text') text += p.delta;
  return text;
}

afterEach(() => vi.useRealTimers());

describe('gateway streaming honesty', () => {
  it('falls back when the primary fails before the first content part', async () => {
    const { gateway, p } = build(twoDeployments);
    p('primary').script = () => failure('unavailable');
    const { parts, servedBy } = await gateway.stream(hello());
    expect(servedBy.deployment).toBe('secondary');
    expect(await drain(parts)).toBe('Hello');
  });

  it('falls back when the primary stream ends before any content', async () => {
    const { gateway, p } = build(twoDeployments);
    p('primary').streamPlan = { chunks: ['x'], failAfter: 0 };
    const { servedBy } = await gateway.stream(hello());
    expect(servedBy.deployment).toBe('secondary');
  });

  it('after the first content part, a failure surfaces as an error and never falls back', async () => {
    const { gateway, p, records } = build(twoDeployments);
    p('primary').streamPlan = { chunks: ['Hel', 'lo', '!'], failAfter: 2 };
    const { parts, servedBy } = await gateway.stream(hello());
    expect(servedBy.deployment).toBe('primary');
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const part of parts) if (part.type === 'text') seen.push(part.delta);
      })(),
    ).rejects.toMatchObject({ kind: 'network' });
    expect(seen).toEqual(['Hel', 'lo']);
    expect(p('secondary').calls).toBe(0);
    expect(records.at(-1)).toMatchObject({ deployment: 'primary', outcome: 'error', usageEstimated: true });
    expect(gateway.status().deployments[0]).toMatchObject({ inFlight: 0, errors: { network: 1 } });
  });

  it('fails over when the first token does not arrive within the TTFT timeout', async () => {
    vi.useFakeTimers();
    const { gateway, p } = build({ ...twoDeployments, routing: { ttft_timeout_ms: 2_000, max_attempts_per_deployment: 1 } });
    p('primary').script = () => 'hang';
    const pending = gateway.stream(hello());
    await vi.advanceTimersByTimeAsync(2_000);
    const { servedBy } = await pending;
    expect(servedBy.deployment).toBe('secondary');
    expect(gateway.status().deployments[0]?.errors).toEqual({ timeout: 1 });
  });
});

describe('gateway selection and policy', () => {
  it('answers through its methods held apart from the gateway, as an in-process caller may hold them', async () => {
    const { gateway } = build(twoDeployments);
    const { chat, ready, models } = gateway;
    expect((await chat(hello())).servedBy.deployment).toBe('primary');
    expect(ready()).toBe(true);
    expect(models()).toContain('chat');
  });

  it('answers stop, not tool_calls, when the upstream says it stopped for tool calls its answer does not hold', async () => {
    const { gateway, p } = build(twoDeployments);
    p('primary').answer = () => answer('Looked it up.', undefined, { finishReason: 'tool_calls' });
    expect((await gateway.chat(hello())).response).toMatchObject({ finishReason: 'stop', content: [{ type: 'text', text: 'Looked it up.' }] });
    const call = { type: 'tool-call' as const, id: 'c1', name: 'lookup', arguments: '{}' };
    p('primary').answer = () => answer('', undefined, { content: [call], finishReason: 'tool_calls' });
    expect((await gateway.chat(hello())).response).toMatchObject({ finishReason: 'tool_calls', content: [call] });
  });

  it('applies the group system prompt and defaults identically whichever deployment serves', async () => {
    const { gateway, p } = build({
      ...twoDeployments,
      groups: [{ name: 'chat', deployments: ['primary', 'secondary'], system_prompt: 'Be brief.', defaults: { temperature: 0.2, top_p: 0.9, max_tokens: 300, seed: 7 } }],
    });
    await gateway.chat(hello());
    p('primary').script = () => failure('unavailable');
    await gateway.chat(hello());
    const [first] = p('primary').requests;
    const [second] = p('secondary').requests;
    expect(first).toEqual(second);
    expect(first).toMatchObject({ temperature: 0.2, topP: 0.9, maxOutputTokens: 300, seed: 7, messages: [systemText('Be brief.'), userText('hi')] });
    // The client's own parameters win over defaults.
    await gateway.chat(hello({ temperature: 1, maxOutputTokens: 50 }));
    expect(p('secondary').requests.at(-1)).toMatchObject({ temperature: 1, maxOutputTokens: 50 });
  });

  it("gives a deployment named directly its group's system prompt, defaults and attribution", async () => {
    const { gateway, p, records } = build({
      ...twoDeployments,
      routing: { allow_direct_deployments: true },
      groups: [{ name: 'chat', deployments: ['primary', 'secondary'], system_prompt: 'Be brief.', defaults: { temperature: 0.2 } }],
    });
    const { servedBy } = await gateway.chat(hello({ model: 'secondary' }));
    expect(servedBy).toMatchObject({ deployment: 'secondary', group: 'chat' });
    expect(p('secondary').requests.at(-1)).toMatchObject({ temperature: 0.2, messages: [systemText('Be brief.'), userText('hi')] });
    expect(records.at(-1)).toMatchObject({ group: 'chat' });
    const streamed = await gateway.stream(hello({ model: 'primary' }));
    await drain(streamed.parts);
    expect(p('primary').requests.at(-1)).toMatchObject({ messages: [systemText('Be brief.'), userText('hi')] });
  });

  it("names the client's own message in a refusal of the request its group's system prompt was put before", async () => {
    const { gateway, p } = build({ ...twoDeployments, groups: [{ name: 'chat', deployments: ['primary'], system_prompt: 'Be brief.' }] });
    const refuse = (param: string) => () => new GatewayError({ kind: 'invalid_request', message: `'${param}' is an image of type bmp.`, param, unsent: true });
    for (const ask of [(r: ChatRequest) => gateway.chat(r), (r: ChatRequest) => gateway.stream(r)]) {
      p('primary').script = refuse('messages[1].content[0]');
      await expect(ask(hello())).rejects.toMatchObject({ param: 'messages[0].content[0]', message: "'messages[0].content[0]' is an image of type bmp." });
      // The group's own system prompt is no parameter of the client's.
      p('primary').script = refuse('messages[0].content[0]');
      const err = (await ask(hello()).catch((e: unknown) => e)) as GatewayError;
      expect([err.param, err.message]).toEqual([undefined, "'the group's system prompt.content[0]' is an image of type bmp."]);
    }
  });

  it('honours an explicit override from the options', async () => {
    const { gateway } = build(twoDeployments);
    expect((await gateway.chat(hello(), { override: 'secondary' })).servedBy.deployment).toBe('secondary');
  });

  it('refuses a completion limit no deployment can give under the name the client used', async () => {
    const { gateway } = build({ ...twoDeployments, deployments: [rawDeployment('primary', { max_output_tokens: 100 }), rawDeployment('secondary', { max_output_tokens: 100 })] });
    await expect(gateway.chat(hello({ maxOutputTokens: 500 }), { maxTokensParam: 'max_completion_tokens' })).rejects.toMatchObject({ kind: 'invalid_request', param: 'max_completion_tokens' });
    await expect(gateway.chat(hello({ maxOutputTokens: 500 }))).rejects.toMatchObject({ kind: 'invalid_request', param: 'maxOutputTokens' });
  });

  it('keeps a request with residency inside its geography', async () => {
    const { gateway, p } = build(twoDeployments);
    p('secondary').script = () => failure('unavailable');
    await expect(gateway.chat(hello(), { residency: 'eu' })).rejects.toMatchObject({ kind: 'unavailable' });
    expect(p('primary').calls).toBe(0);
    await expect(gateway.chat(hello(), { residency: 'apac' })).rejects.toMatchObject({ kind: 'residency_violation' });
  });

  it('escalates through a named quality gate (cost-optimized)', async () => {
    const { gateway, records } = build(
      { ...twoDeployments, groups: [{ name: 'chat', strategy: 'cost-optimized', quality_gate: 'long', deployments: [{ id: 'primary', price: 9 }, { id: 'secondary', price: 1 }] }] },
      { qualityGates: { long: (r, ctx) => ctx.deployment !== 'secondary' || answerText(r).length > 1_000 } },
    );
    const { servedBy } = await gateway.chat(hello());
    expect(servedBy.deployment).toBe('primary');
    expect(records.map((r) => `${r.deployment}:${r.outcome}:${r.role}`)).toEqual(['secondary:ok:primary', 'primary:ok:fallback']);
  });

  it('uses an injected price function over the config hints', async () => {
    const { gateway } = build(
      { ...twoDeployments, groups: [{ name: 'chat', strategy: 'cost-optimized', deployments: [{ id: 'primary', price: 9 }, { id: 'secondary', price: 1 }] }] },
      { priceOf: (id) => (id === 'primary' ? 0.5 : undefined) },
    );
    expect((await gateway.chat(hello())).servedBy.deployment).toBe('primary');
  });

  it('refuses to start when a group names a quality gate it was not given', () => {
    expect(() => build({ ...twoDeployments, groups: [{ name: 'chat', quality_gate: 'nope', deployments: ['primary'] }] })).toThrow(/quality gate/);
  });
});

describe('gateway logs of upstream errors', () => {
  const quoting = (): GatewayError => new GatewayError({ kind: 'invalid_request', message: 'rejected', upstreamStatus: 400, upstreamText: 'Invalid prompt: my SSN is 123-45-6789' });

  async function upstreamErrorLine(logging: ConfigInput['logging']): Promise<Record<string, unknown> | undefined> {
    const lines: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const capture = (obj: object, msg?: string): void => void lines.push({ obj: obj as Record<string, unknown>, msg });
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture, child: () => logger };
    const { gateway, p } = build({ ...twoDeployments, logging }, { logger });
    p('primary').script = () => quoting();
    await expect(gateway.chat(hello())).rejects.toThrow();
    return lines.find((l) => l.msg === 'upstream error')?.obj;
  }

  it("keeps the upstream's own words (which can quote the prompt) out of the log: their length and a fingerprint instead", async () => {
    const line = await upstreamErrorLine(undefined);
    expect(line).toMatchObject({ deployment: 'primary', kind: 'invalid_request', status: 400, upstreamChars: 37, upstreamHash: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(JSON.stringify(line)).not.toContain('SSN');
  });

  it("names the deployment of an error answer it could not read (an HTML 404), and says what a 404 most often means", async () => {
    const lines: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const capture = (obj: object, msg?: string): void => void lines.push({ obj: obj as Record<string, unknown>, msg });
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture, child: () => logger };
    const { gateway, p } = build(twoDeployments, { logger });
    p('primary').script = () => new GatewayError({ kind: 'not_found', message: 'Upstream primary does not know the requested model or resource (HTTP 404).', upstreamStatus: 404 });
    await expect(gateway.chat(hello())).rejects.toMatchObject({ kind: 'not_found' });
    const line = lines.find((l) => l.msg === 'upstream error')?.obj;
    expect(line).toMatchObject({ deployment: 'primary', status: 404, hint: expect.stringContaining("check the deployment's endpoint") });
    expect(line).not.toHaveProperty('upstreamChars');
  });

  it("logs its deployments' breaker transitions (the on-call's 'since when'), with our reason and none of the upstream's words", async () => {
    const lines: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const capture = (obj: object, msg?: string): void => void lines.push({ obj: obj as Record<string, unknown>, msg });
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture, child: () => logger };
    const { gateway, p } = build({ ...twoDeployments, routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 1 } } }, { logger });
    p('primary').script = () => new GatewayError({ kind: 'unavailable', message: 'down', upstreamStatus: 503, upstreamText: 'node db-7 password=hunter2' });
    await gateway.chat(hello());
    const opened = lines.find((l) => l.msg === 'circuit breaker opened')?.obj;
    expect(opened).toMatchObject({ deployment: 'primary', from: 'closed', to: 'open' });
    expect(JSON.stringify(opened)).not.toContain('hunter2');
  });

  it('logs them, scrubbed, when logging.upstream_error_text is set', async () => {
    const line = await upstreamErrorLine({ upstream_error_text: true });
    expect(line?.upstream).toBe('Invalid prompt: my SSN is 123-45-6789');
  });

  it('logs where a decoder threw on a reply it could not read (a bug of ours looks the same to the client), without the message, which may quote the reply, even as a line shaped like a frame', async () => {
    const lines: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const capture = (obj: object, msg?: string): void => void lines.push({ obj: obj as Record<string, unknown>, msg });
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture, child: () => logger };
    const { gateway, p } = build(twoDeployments, { logger });
    const decoderBug = (): never => {
      // JSON.parse quotes the reply, line feeds included: a line of it can look like a stack frame.
      throw new TypeError('Unexpected token in "my SSN is 123-45-6789\n    at my SSN is 123-45-6789"');
    };
    let thrown: unknown;
    try {
      decoderBug();
    } catch (err) {
      thrown = err;
    }
    p('primary').script = () => unreadableReply(thrown, 'fake');
    await gateway.chat(hello()); // the secondary answers
    const line = lines.find((l) => l.msg === 'upstream reply the decoder could not read')?.obj;
    expect(line).toMatchObject({ deployment: 'primary', thrown: 'TypeError', frames: expect.stringContaining('decoderBug') });
    expect(JSON.stringify(line)).not.toContain('SSN');
  });
});

describe('gateway shadow traffic', () => {
  it('mirrors to the standby, discards its answer and records a shadow attempt', async () => {
    const { gateway, p, records } = build({ ...twoDeployments, groups: [{ name: 'chat', deployments: ['primary', 'secondary'], shadow: { share: 1 } }] });
    const { response, servedBy } = await gateway.chat(hello());
    await new Promise((r) => setImmediate(r));
    expect(servedBy.deployment).toBe('primary');
    expect(answerText(response)).toBe('answer from primary');
    expect(p('secondary').calls).toBe(1);
    expect(records.find((r) => r.role === 'shadow')).toMatchObject({ deployment: 'secondary', outcome: 'ok', attempt: 1001 });
    expect(gateway.status().deployments[1]?.shadow).toEqual({ requests: 1, errors: 0 });
  });

  it('books a shadow copy the gateway stopped waiting for at the prompt estimate, as it books a primary attempt: the standby had the request', async () => {
    vi.useFakeTimers();
    const { gateway, p, records } = build({ ...twoDeployments, routing: { attempt_timeout_ms: 1_000 }, groups: [{ name: 'chat', deployments: ['primary', 'secondary'], shadow: { share: 1 } }] });
    p('secondary').script = () => 'hang';
    // Chinese text: billed what it likely costs (167 tokens), not the ceiling admission reserves (304).
    const request = userRequest('chat', '中'.repeat(100));
    await gateway.chat(request);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(records.find((r) => r.role === 'shadow')).toMatchObject({ deployment: 'secondary', outcome: 'error', usageEstimated: true, error: { kind: 'timeout' } });
    expect(records.find((r) => r.role === 'shadow')?.usage?.prompt).toBe(estimatePrompt(request).likely);
  });

  it('books what a failed shadow copy paid for, and nothing for one that never left', async () => {
    const { gateway, p, records } = build({ ...twoDeployments, groups: [{ name: 'chat', deployments: ['primary', 'secondary'], shadow: { share: 1 } }] });
    const secondary = p('secondary');
    secondary.script = () => new GatewayError({ kind: 'content_filtered', message: 'Filtered.', paidUsage: makeUsage({ prompt: 7, completion: 3 }) });
    await gateway.chat(hello());
    secondary.script = () => new GatewayError({ kind: 'timeout', message: 'Connection timed out.', unsent: true });
    await gateway.chat(hello());
    await new Promise((r) => setImmediate(r));
    expect(records.filter((r) => r.role === 'shadow').map((r) => [r.outcome, r.usage?.total, r.usageEstimated])).toEqual([
      ['error', 10, false],
      ['error', undefined, false],
    ]);
  });

  it('mirrors only the configured share, and never across a residency boundary', async () => {
    const { gateway, p } = build({ ...twoDeployments, groups: [{ name: 'chat', deployments: ['secondary', 'primary'], shadow: { share: 0.25 } }] });
    for (let i = 0; i < 400; i++) await gateway.chat(hello());
    await new Promise((r) => setImmediate(r));
    expect(Math.abs(p('primary').calls / 400 - 0.25)).toBeLessThan(0.06);
    const before = p('primary').calls;
    for (let i = 0; i < 50; i++) await gateway.chat(hello(), { residency: 'eu' });
    expect(p('primary').calls).toBe(before);
  });
});

describe('gateway resilience on a fake clock', () => {
  it('fails over on breaker open, then fails back gradually without flapping', async () => {
    const clock = new FakeClock();
    const { gateway, p } = build(
      {
        ...twoDeployments,
        routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 3, cool_off_ms: 10_000 }, failback: { ramp_ms: 60_000, start_share: 0.1 } },
      },
      { clock },
    );
    let outage = true;
    p('primary').script = () => (outage ? failure('unavailable') : 'ok');
    const served = async (n: number): Promise<number> => {
      let primary = 0;
      for (let i = 0; i < n; i++) if ((await gateway.chat(hello())).servedBy.deployment === 'primary') primary += 1;
      return primary;
    };
    expect(await served(20)).toBe(0);
    // Three failures opened the breaker; the rest went straight to the secondary.
    expect(p('primary').calls).toBe(3);
    expect(gateway.status().deployments[0]?.breaker.state).toBe('open');
    outage = false;
    clock.advance(10_000);
    // The half-open trial succeeds and the ramp starts at 10%.
    const shares: number[] = [];
    for (let step = 0; step <= 6; step++) {
      shares.push((await served(500)) / 500);
      clock.advance(10_000);
    }
    expect(shares[0]).toBeLessThan(0.2);
    expect(shares[6]).toBe(1);
    for (let i = 1; i < shares.length; i++) expect(shares[i] as number).toBeGreaterThanOrEqual((shares[i - 1] as number) - 0.05);
  });

  it('a flaky primary re-trips on probation with a longer cool-off instead of flapping', async () => {
    const clock = new FakeClock();
    const { gateway, p } = build(
      { ...twoDeployments, routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 3, cool_off_ms: 10_000 }, failback: { ramp_ms: 60_000, start_share: 1 } } },
      { clock },
    );
    p('primary').script = () => failure('unavailable');
    for (let i = 0; i < 3; i++) await gateway.chat(hello());
    clock.advance(10_000);
    p('primary').script = (n) => (n === 4 ? 'ok' : failure('unavailable'));
    await gateway.chat(hello()); // the trial succeeds
    await gateway.chat(hello()); // one failure on probation re-opens it
    const breaker = gateway.status().deployments[0]?.breaker;
    expect(breaker).toMatchObject({ state: 'open', trips: 2 });
    expect((breaker?.retryAt ?? 0) - clock.now()).toBe(20_000);
  });

  it('a single-deployment group fails fast while open, then lets one trial through', async () => {
    const clock = new FakeClock();
    const { gateway, p } = build(
      { deployments: [rawDeployment('only')], groups: [{ name: 'chat', deployments: ['only'] }], routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 2, cool_off_ms: 4_000 } } },
      { clock },
    );
    p('only').script = () => failure('unavailable');
    for (let i = 0; i < 2; i++) await gateway.chat(hello()).catch(() => undefined);
    await expect(gateway.chat(hello())).rejects.toMatchObject({ kind: 'no_deployment_available', status: 503, retryAfterMs: 4_000 });
    expect(p('only').calls).toBe(2);
    clock.advance(4_000);
    p('only').script = () => 'ok';
    expect((await gateway.chat(hello())).servedBy.deployment).toBe('only');
    expect(gateway.status().deployments[0]?.breaker.state).toBe('closed');
  });

  it('shares breaker state through the state store', async () => {
    const clock = new FakeClock();
    const store = new MemoryStateStore(clock);
    const cfg = { deployments: [rawDeployment('only')], groups: [{ name: 'chat', deployments: ['only'] }], routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 1 } } };
    const a = build(cfg, { clock, stateStore: store });
    a.p('only').script = () => failure('unavailable');
    await a.gateway.chat(hello()).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect(await store.get(breakerKey('only', upstreamDigest(a.gateway.config.deployments[0]!)))).toMatchObject({ state: 'open' });
    const b = build(cfg, { clock, stateStore: store });
    await new Promise((r) => setImmediate(r));
    expect(b.gateway.status().deployments[0]?.breaker.state).toBe('open');
    await expect(b.gateway.chat(hello())).rejects.toMatchObject({ kind: 'no_deployment_available' });
  });

  it('active-active: drains a failing deployment and keeps balancing across the healthy ones', async () => {
    const { gateway, p } = build({
      deployments: ['a', 'b', 'c'].map((id) => rawDeployment(id)),
      groups: [{ name: 'chat', strategy: 'round-robin', deployments: ['a', 'b', 'c'] }],
      routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 2, cool_off_ms: 60_000 } },
    });
    p('b').script = () => failure('overloaded');
    const by: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 60; i++) by[(await gateway.chat(hello())).servedBy.deployment] += 1;
    expect(p('b').calls).toBe(2);
    expect(by.b).toBe(0);
    expect(Math.abs((by.a as number) - (by.c as number))).toBeLessThanOrEqual(2);
  });

  it('reports per-deployment stats', async () => {
    const { gateway, p } = build(twoDeployments);
    p('primary').script = (n) => (n % 4 === 0 ? failure('invalid_request') : 'ok');
    for (let i = 0; i < 8; i++) await gateway.chat(hello()).catch(() => undefined);
    const s = gateway.status().deployments[0];
    expect(s).toMatchObject({ id: 'primary', requests: 8, successes: 6, errors: { invalid_request: 2 }, errorRate: 0.25, inFlight: 0, breaker: { state: 'closed' } });
    expect(s?.latencyMs).toEqual({ p50: 0, p95: 0, p99: 0 });
    expect(gateway.status().retryBudget.requests).toBe(8);
  });
});

describe('gateway usage honesty', () => {
  it('estimates the usage of an answer whose upstream reported none and records it as estimated', async () => {
    const { gateway, p, records } = build(twoDeployments);
    p('primary').answer = () => answer('twelve chars', {}, { content: [{ type: 'reasoning', text: 'four' }, { type: 'text', text: 'twelve chars' }], usageEstimated: true });
    const { response } = await gateway.chat(hello());
    expect(response.usage.prompt).toBeGreaterThan(0);
    expect(response.usage.completion).toBe(4);
    expect(records.at(-1)).toMatchObject({ outcome: 'ok', usageEstimated: true, usage: { completion: 4 } });
  });

  it('bills a prompt whose upstream reported no usage what it likely costs, not the ceiling admission reserved (Chinese text: a token a byte at most)', async () => {
    const { gateway, p, records } = build(twoDeployments);
    p('primary').answer = () => answer('ok', {}, { usageEstimated: true });
    const han = '中'.repeat(100);
    const request = userRequest('chat', han);
    const { tokens, likely } = estimatePrompt(request);
    expect([tokens, likely]).toEqual([4 + 300, 4 + 163]);
    const { response } = await gateway.chat(request);
    expect(response.usage.prompt).toBe(likely);
    expect(records.at(-1)).toMatchObject({ outcome: 'ok', usageEstimated: true, usage: { prompt: likely } });
  });
});

/** One request of `operation` that the client may abandon through `signal`. */
function ask(gateway: Gateway, operation: 'chat' | 'stream' | 'embed', signal: AbortSignal): Promise<unknown> {
  if (operation === 'chat') return gateway.chat(hello(), { signal });
  if (operation === 'stream') return gateway.stream(hello(), { signal });
  return gateway.embed({ model: 'chat', input: ['a sentence to embed'] }, { signal });
}

describe('gateway usage of attempts the client abandoned', () => {
  it.each(['chat', 'stream', 'embed'] as const)('records a %s attempt cancelled before its answer, billed the prompt estimate: the upstream had the request', async (operation) => {
    const { gateway, p, records } = build(twoDeployments);
    p('primary').script = () => 'hang';
    const client = new AbortController();
    const asked = ask(gateway, operation, client.signal);
    await new Promise((r) => setImmediate(r));
    expect(p('primary').calls).toBe(1);
    client.abort();
    await expect(asked).rejects.toMatchObject({ kind: 'cancelled' });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'cancelled', usageEstimated: true, error: { kind: 'cancelled' } });
    expect(records[0]?.usage?.prompt).toBeGreaterThan(0);
    expect(p('secondary').calls).toBe(0);
  });
});

describe('gateway usage of attempts the gateway gave up waiting for', () => {
  it.each(['chat', 'stream'] as const)('records a %s attempt that timed out after its request was sent, billed the prompt estimate, as a cancelled one is', async (operation) => {
    vi.useFakeTimers();
    const { gateway, p, records } = build({ ...twoDeployments, routing: { attempt_timeout_ms: 1_000, ttft_timeout_ms: 1_000, max_attempts_per_deployment: 1 } });
    p('primary').script = () => 'hang';
    const asked = ask(gateway, operation, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(1_000);
    await asked;
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'error', usageEstimated: true, error: { kind: 'timeout' } });
    expect(records[0]?.usage?.prompt).toBeGreaterThan(0);
  });

  it('bills nothing for a timeout the upstream answered (a 504: it says what it did) nor for one before the request was written', async () => {
    const { gateway, p, records } = build(twoDeployments);
    const primary = p('primary');
    primary.script = () => new GatewayError({ kind: 'timeout', message: 'Upstream primary timed out.', upstreamStatus: 504 });
    await gateway.chat(hello());
    primary.script = () => new GatewayError({ kind: 'timeout', message: 'Upstream primary connection timed out.', unsent: true });
    await gateway.chat(hello());
    expect(records.filter((r) => r.deployment === 'primary').map((r) => [r.outcome, r.usage, r.usageEstimated])).toEqual([
      ['error', undefined, false],
      ['error', undefined, false],
    ]);
  });
});

describe('gateway usage of attempts the client left before they were sent', () => {
  it.each(['chat', 'stream', 'embed'] as const)('records a %s attempt cancelled while it waited for a connection or credentials, with no usage: nothing reached the upstream', async (operation) => {
    const { gateway, p, records } = build(twoDeployments);
    // What the transport and the providers' auth do when the client leaves before a byte was written.
    const unsentOnAbort = (_req: unknown, ctx: CallContext): Promise<never> =>
      new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new GatewayError({ kind: 'cancelled', message: 'The request was cancelled.', unsent: true })), { once: true }));
    const primary = p('primary');
    primary.chat = unsentOnAbort;
    primary.stream = unsentOnAbort;
    primary.embed = unsentOnAbort;
    const client = new AbortController();
    const asked = ask(gateway, operation, client.signal);
    await new Promise((r) => setImmediate(r));
    client.abort();
    await expect(asked).rejects.toMatchObject({ kind: 'cancelled' });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'cancelled', usageEstimated: false, error: { kind: 'cancelled', unsent: true } });
    expect(records[0]?.usage).toBeUndefined();
    expect(p('secondary').calls).toBe(0);
    expect(gateway.status().deployments[0]).toMatchObject({ inFlight: 0, errors: {} });
  });
});

describe('gateway usage of refused replies', () => {
  it('records and bills the usage an upstream charged for a reply refused as malformed, then tries the next deployment', async () => {
    const { gateway, p, records } = build(twoDeployments);
    p('primary').script = () => new GatewayError({ kind: 'upstream_error', message: 'malformed answer', paidUsage: makeUsage({ prompt: 7, completion: 3 }) });
    await gateway.chat(hello());
    const failed = records.filter((r) => r.outcome === 'error');
    expect(failed.length).toBeGreaterThan(0); // retried, then fallen back: each try was paid for
    expect(failed.map((r) => [r.deployment, r.usage?.total])).toEqual(failed.map(() => ['primary', 10]));
    expect(records.at(-1)).toMatchObject({ deployment: 'secondary', outcome: 'ok' });
  });
});

describe('gateway embeddings usage', () => {
  it("bills the gateway's estimate of the inputs when the upstream reports no usage, marked estimated", async () => {
    const { gateway, p, records } = build(twoDeployments);
    p('primary').embedding = () => ({ model: 'primary', embeddings: [[0, 1], [1, 0]], usage: makeUsage({}), usageEstimated: true });
    const { response } = await gateway.embed({ model: 'chat', input: ['a'.repeat(40), 'b'.repeat(40)] });
    expect(response.usage.prompt).toBe(20);
    expect(records.at(-1)).toMatchObject({ outcome: 'ok', usageEstimated: true, usage: { prompt: 20 } });
  });
});

describe('gateway embeddings of token ids', () => {
  it('bills the number of ids, exactly, when the upstream reports no usage', async () => {
    const { gateway, p, records } = build(twoDeployments);
    p('primary').embedding = () => ({ model: 'primary', embeddings: [[0, 1], [1, 0]], usage: makeUsage({}), usageEstimated: true });
    const { response } = await gateway.embed({ model: 'chat', tokens: [[1, 2, 3], Array.from({ length: 40 }, (_, i) => i)] });
    expect(response.usage.prompt).toBe(43);
    expect(records.at(-1)).toMatchObject({ outcome: 'ok', usage: { prompt: 43 } });
  });

  it('falls back to the next deployment when one refuses token ids before sending', async () => {
    const { gateway, p, records } = build(twoDeployments);
    p('primary').embed = () => Promise.reject(new GatewayError({ kind: 'invalid_request', message: 'text only', param: 'input', fallbackable: true, unsent: true }));
    const { servedBy } = await gateway.embed({ model: 'chat', tokens: [[1, 2]] });
    expect(servedBy.deployment).toBe('secondary');
    expect(records.map((r) => [r.deployment, r.outcome, r.error?.unsent, r.usage?.prompt])).toEqual([
      ['primary', 'error', true, undefined],
      ['secondary', 'ok', undefined, 1],
    ]);
  });
});

describe('gateway request invariants', () => {
  it('refuses, as invalid_request naming the field, what an in-process caller could break and no dialect could encode', async () => {
    const { gateway, p } = build(twoDeployments);
    await expect(gateway.chat({ model: 'chat', messages: [] })).rejects.toMatchObject({ kind: 'invalid_request', status: 400, param: 'messages' });
    await expect(gateway.chat({ model: 'chat', messages: [userText('hi'), { role: 'assistant', content: [] }] })).rejects.toMatchObject({ param: 'messages[1].content' });
    const tools = [{ name: 'lookup', parameters: { type: 'object' } }];
    await expect(gateway.stream(hello({ tools, toolChoice: { type: 'tool', name: 'other' } }))).rejects.toMatchObject({ kind: 'invalid_request', param: 'toolChoice.name' });
    await expect(gateway.embed({ model: 'chat', input: [] })).rejects.toMatchObject({ kind: 'invalid_request', param: 'input' });
    await expect(gateway.embed({ model: 'chat', tokens: [] })).rejects.toMatchObject({ kind: 'invalid_request', param: 'tokens' });
    await expect(gateway.embed({ model: 'chat', tokens: [[1], []] })).rejects.toMatchObject({ kind: 'invalid_request', param: 'tokens' });
    const both = { model: 'chat', input: ['a'], tokens: [[1]] } as unknown as EmbeddingRequest;
    await expect(gateway.embed(both)).rejects.toMatchObject({ kind: 'invalid_request', param: 'input' });
    expect(p('primary')?.calls ?? 0).toBe(0);
  });

  it('passes a well-formed conversation through unchanged', async () => {
    const { gateway, p } = build(twoDeployments);
    const asked = hello({ messages: [userText('hi'), assistantText('hello'), userText('again')], tools: [{ name: 'lookup' }], toolChoice: { type: 'tool', name: 'lookup' } });
    await gateway.chat(asked);
    expect(p('primary').requests.at(-1)).toEqual(asked);
  });
});

describe('the context-window check', () => {
  const images = (n: number): ChatRequest => ({
    model: 'chat',
    messages: [{ role: 'user', content: Array.from({ length: n }, () => ({ type: 'image' as const, source: { type: 'url' as const, url: 'https://example.com/frame.png' } })) }],
  });

  it("takes each image at the least it may cost: a request a model's window holds is sent, not turned away by the reservation's estimate", async () => {
    // 100 images reserve 160,000 tokens (1,600 each, the most one may cost), yet may cost 8,500 (85 each).
    const { gateway, p } = fakeGateway({ deployments: [rawDeployment('gpt', { capabilities: ['vision'], context_window: 128_000 })], groups: [{ name: 'chat', deployments: ['gpt'] }] });
    await gateway.chat(images(100));
    expect(p('gpt').calls).toBe(1);
    await expect(gateway.chat(images(2_000))).rejects.toMatchObject({ kind: 'context_window_exceeded' });
  });
});

