import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { resolveConfig } from '../../config/load.js';
import { startAnthropicSim, type AnthropicSimServer } from '../../sim/anthropic/index.js';

const KEY = 'sk-switchyard';

/**
 * An Anthropic account that is out of credit, past its spend limit or disabled refuses every request as a
 * 400 invalid_request_error (the simulator's `account_refusal`, in the API's words). That is the account's
 * failure, not the client's: the group's other deployment answers, and a limit that names when access
 * returns keeps the account out of rotation meanwhile.
 */
describe('an Anthropic account refusal, through the real server', () => {
  let empty: AnthropicSimServer;
  let spare: AnthropicSimServer;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    [empty, spare] = await Promise.all([startAnthropicSim({ apiKey: 'sk-a', name: 'empty' }), startAnthropicSim({ apiKey: 'sk-b', name: 'spare' })]);
    const config = resolveConfig({
      routing: { max_attempts_per_deployment: 2, backoff: { base_ms: 0, cap_ms: 0 } },
      api_keys: [{ id: 'k', key: KEY }],
      deployments: [
        { id: 'claude-empty', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: empty.url, api_key: 'sk-a' },
        { id: 'claude-spare', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: spare.url, api_key: 'sk-b' },
      ],
      groups: [{ name: 'claude', deployments: ['claude-empty', 'claude-spare'] }],
      ledger: { enabled: false },
    });
    app = await createApp(config);
    server = await startServer(app.gateway, { ...app.handlerOptions, port: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await Promise.all([empty.close(), spare.close()]);
  });

  beforeEach(() => {
    empty.faults.clear();
  });

  async function ask(): Promise<{ status: number; servedBy: string | null }> {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 }),
    });
    await res.arrayBuffer();
    return { status: res.status, servedBy: res.headers.get('x-switchyard-deployment') };
  }

  it.each(['credit_balance', 'organization_disabled'] as const)('answers from the other deployment when the account refuses with %s, asking it once', async (refusal) => {
    empty.faults.add({ account_refusal: refusal, count: 1 });
    const before = empty.stats.total;
    expect(await ask()).toEqual({ status: 200, servedBy: 'claude-spare' });
    expect(empty.stats.total - before).toBe(1);
  });

  it('answers from the other deployment at a usage limit, and leaves the limited account out until it comes back', async () => {
    empty.faults.add({ account_refusal: 'usage_limit' });
    const before = empty.stats.total;
    expect(await ask()).toEqual({ status: 200, servedBy: 'claude-spare' });
    expect(await ask()).toEqual({ status: 200, servedBy: 'claude-spare' });
    expect(empty.stats.total - before).toBe(1);
  });
});
