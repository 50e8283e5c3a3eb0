import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { makeUsage } from '../core/types.js';
import { admissionRequest, attempt } from '../ledger/testing/fixtures.js';
import { createHttpHandler } from './handler.js';

const NEVER_CANCELLED = new AbortController().signal;
const body = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/**
 * A budget's refusal comes before any attempt, so no attempt can say how the request was routed: the
 * error does (`GatewayError.group`), and the access line and `switchyard_requests_total` say it too,
 * so an operator sees which group a team's exhausted budget is refusing.
 */
describe('a request a budget refused', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('names the group it was routed by on its access line and in switchyard_requests_total', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const accessLogger: Logger = { ...silentLogger, info: (obj) => void lines.push(obj as Record<string, unknown>) };
    const config = resolveConfig({
      // Never reached: the budget refuses first.
      deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
      groups: [{ name: 'chat', deployments: ['oai'] }],
      ledger: { path: ':memory:' },
      budgets: { limits: [{ name: 'tiny', period: 'daily', hard_usd: 0.0001 }] },
      observability: { metrics: { enabled: true } },
    });
    app = await createApp(config, { accessLogger });
    // One earlier request spent past the limit: the next is refused before any attempt.
    const ticket = await app.ledger.admission.admit(admissionRequest('earlier', {}));
    app.ledger.observer.onAttempt(attempt({ requestId: 'earlier', deployment: 'oai', provider: 'openai-compatible', startedAt: Date.now(), tags: {}, usage: makeUsage({ prompt: 1000, completion: 500 }) }));
    ticket.release();
    const handle = createHttpHandler(app.gateway, app.handlerOptions);
    const answer = await handle({ method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body: body({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), signal: NEVER_CANCELLED });
    expect(answer.status).toBe(429);
    expect(lines.find((l) => l.path === '/v1/chat/completions')).toMatchObject({ status: 429, errorKind: 'budget_exceeded', group: 'chat', deployment: undefined, upstreamMs: undefined });
    const metrics = await app.metrics?.render();
    expect(metrics).toMatch(/switchyard_requests_total\{route="\/v1\/chat\/completions",code="429",group="chat",deployment="",region="",error_kind="budget_exceeded"\} 1/);
  });
});
