import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import { textOf } from '../core/types.js';
import { startAnthropicSim, type AnthropicSimServer } from '../sim/anthropic/index.js';
import { assistantText, userText } from '../testing/canonical.js';
import { createGateway } from './gateway.js';

/**
 * A client's own prefill (a conversation ending on the assistant) meets Claude models that refuse one
 * (Claude 4.6 and later): the gateway refuses it before sending, so a group goes on to a model that
 * continues it, and without one the client gets the 400 naming its last message, with nothing sent
 * (every attempt unsent, which the ledger does not record).
 */
describe("a client's prefill to Claude models that refuse one", () => {
  let sim: AnthropicSimServer;
  const prefilled = { model: 'chat', messages: [userText('Tell me about failover'), assistantText('Failover is')] };

  beforeAll(async () => {
    sim = await startAnthropicSim({});
  });
  afterAll(async () => {
    await sim.close();
  });

  function gatewayFor(models: string[], records: AttemptRecord[]) {
    const config = resolveConfig({
      routing: { max_attempts_per_deployment: 1 },
      deployments: models.map((model) => ({ id: model, provider: 'anthropic', model, endpoint: sim.url, api_key: 'sk-ant-test' })),
      groups: [{ name: 'chat', strategy: 'priority', deployments: models }],
    });
    return createGateway(config, { observers: [{ onAttempt: (r) => records.push(r) }] });
  }

  it('goes on to the next deployment, whose model continues it, without calling the one that refuses it', async () => {
    const records: AttemptRecord[] = [];
    const gateway = gatewayFor(['claude-opus-4-7', 'claude-haiku-4-5'], records);
    const before = sim.stats.total;
    try {
      const r = await gateway.chat(prefilled);
      expect(r.servedBy.deployment).toBe('claude-haiku-4-5');
      expect(textOf(r.response.content)).not.toBe('');
      expect(sim.stats.total - before).toBe(1);
      expect((JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as { model: string }).model).toBe('claude-haiku-4-5');
      // The refused attempt is reported as unsent, which the ledger does not record.
      expect(records.map((a) => [a.deployment, a.outcome, a.error?.unsent])).toEqual([
        ['claude-opus-4-7', 'error', true],
        ['claude-haiku-4-5', 'ok', undefined],
      ]);
    } finally {
      await gateway.close();
    }
  });

  it('answers 400 naming the final assistant message when no deployment continues it, streamed or not, with nothing sent', async () => {
    const records: AttemptRecord[] = [];
    const gateway = gatewayFor(['claude-opus-4-7', 'claude-sonnet-4-6'], records);
    const before = sim.stats.total;
    try {
      const refusal = { kind: 'invalid_request', status: 400, unsent: true, param: 'messages[1]', message: expect.stringContaining("'messages[1]' is a final assistant message (a prefill)") };
      await expect(gateway.chat(prefilled)).rejects.toMatchObject(refusal);
      await expect(gateway.stream(prefilled)).rejects.toMatchObject(refusal);
      expect(sim.stats.total - before).toBe(0);
      expect(records.every((a) => a.error?.unsent === true)).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});
