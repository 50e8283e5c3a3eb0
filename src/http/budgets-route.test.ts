import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { makeUsage } from '../core/types.js';
import { admissionRequest, attempt } from '../ledger/testing/fixtures.js';
import type { BudgetReadout } from '../ledger/budgets/readout.js';
import type { HttpResponse } from './exchange.js';
import { createHttpHandler } from './handler.js';

const REDIS_URL = process.env.REDIS_URL;
const NOW = Date.parse('2025-06-15T12:00:00Z');
const NEVER_CANCELLED = new AbortController().signal;
// gpt-4o-mini: 1000 x 0.15 + 500 x 0.60 = 450 micro-dollars reserved (and, fully used, spent) per request.
const ESTIMATE = 0.00045;

const KEYS = { admin: 'sk-budgets-admin', research: 'sk-budgets-research', search: 'sk-budgets-search' };

const BUDGETS: NonNullable<ConfigInput['budgets']>['limits'] = [
  { name: 'org-daily', period: 'daily', hard_usd: 5 },
  { name: 'team-daily', period: 'daily', per: 'team', hard_usd: 0.001 },
  { name: 'research-monthly', period: 'monthly', match: { team: 'research' }, soft_usd: 0.5 },
];

function config(extra: Partial<ConfigInput> = {}) {
  return resolveConfig({
    deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
    api_keys: [
      { id: 'admin', key: KEYS.admin, role: 'admin' },
      { id: 'r1', key: KEYS.research, team: 'research' },
      { id: 's1', key: KEYS.search, team: 'search' },
    ],
    ledger: { path: ':memory:' },
    budgets: { limits: BUDGETS },
    ...extra,
  });
}

const tagsOf = (team: string) => ({ key: team === 'research' ? 'r1' : 's1', team });

/** Admits a request of `team`'s key; `settle` books its full estimate and releases it, else it stays in flight. */
async function request(app: App, id: string, team: string, settle = true): Promise<void> {
  const ticket = await app.ledger.admission.admit(admissionRequest(id, tagsOf(team)));
  if (!settle) return;
  app.ledger.observer.onAttempt(attempt({ requestId: id, deployment: 'oai', provider: 'openai-compatible', startedAt: NOW, tags: tagsOf(team), usage: makeUsage({ prompt: 1000, completion: 500 }) }));
  ticket.release();
}

async function get(app: App, key: string | undefined, query = ''): Promise<{ res: HttpResponse; body: Record<string, unknown> }> {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  const res = await createHttpHandler(app.gateway, app.handlerOptions)({ method: 'GET', path: '/v1/switchyard/budgets', query, headers, body: undefined, signal: NEVER_CANCELLED });
  return { res, body: JSON.parse(Buffer.from(res.body as Uint8Array).toString('utf8')) as Record<string, unknown> };
}

const budgets = (body: Record<string, unknown>) => body.budgets as BudgetReadout[];
const budget = (body: Record<string, unknown>, name: string) => budgets(body).find((b) => b.name === name);

/** The route's specification, on the budget state `app` enforces budgets with. */
function routeSpecs(open: () => Promise<App>) {
  let app: App;
  beforeEach(async () => {
    app = await open();
  });
  afterEach(async () => {
    await app.close();
  });

  it('shows an admin each counter: limit, spent, reserved in flight, remaining, period and reset, exact to the micro-dollar', async () => {
    await request(app, 'a1', 'research');
    await request(app, 'a2', 'research', false);
    const { res, body } = await get(app, KEYS.admin);
    expect(res.status).toBe(200);
    expect(budget(body, 'team-daily')).toMatchObject({ hardUsd: 0.001, counters: [{ scope: 'team=research', value: 'research', spentUsd: ESTIMATE, reservedUsd: ESTIMATE, remainingUsd: 0.0001, periodStart: '2025-06-15T00:00:00.000Z', resetsAt: '2025-06-16T00:00:00.000Z', refusing: false }] });
    expect(budget(body, 'org-daily')?.counters).toEqual([{ scope: 'global', value: null, spentUsd: ESTIMATE, reservedUsd: ESTIMATE, remainingUsd: 4.9991, periodStart: '2025-06-15T00:00:00.000Z', resetsAt: '2025-06-16T00:00:00.000Z', refusing: false }]);
    expect(budget(body, 'research-monthly')).toMatchObject({ hardUsd: null, softUsd: 0.5, counters: [{ remainingUsd: null, periodStart: '2025-06-01T00:00:00.000Z', resetsAt: '2025-07-01T00:00:00.000Z', refusing: false }] });
  });

  it('says a counter refuses once its hard limit refused a request, and leaves other teams\' counters open', async () => {
    // Each is admitted while spend plus reservations are under $0.001: the third overshoots, the fourth is refused.
    for (const id of ['r1', 'r2', 'r3']) await request(app, id, 'research');
    const refused = await request(app, 'r4', 'research').catch((err: unknown) => err);
    expect(GatewayError.isInstance(refused) && refused.kind).toBe('budget_exceeded');
    await request(app, 's1', 'search');
    const { body } = await get(app, KEYS.admin, 'budget=team-daily');
    const counters = Object.fromEntries((budget(body, 'team-daily')?.counters ?? []).map((c) => [c.value, c]));
    expect(counters.research).toMatchObject({ spentUsd: 0.00135, reservedUsd: 0, remainingUsd: 0, refusing: true, resetsAt: '2025-06-16T00:00:00.000Z' });
    expect(counters.search).toMatchObject({ spentUsd: ESTIMATE, reservedUsd: 0, remainingUsd: 0.00055, refusing: false });
  });

  it('lets a team key read only the counters its own requests count on, never another team\'s', async () => {
    await request(app, 'r1', 'research');
    await request(app, 's1', 'search');
    const research = (await get(app, KEYS.research)).body;
    expect(budgets(research).map((b) => b.name).sort()).toEqual(['research-monthly', 'team-daily']);
    expect(budget(research, 'team-daily')?.counters.map((c) => c.value)).toEqual(['research']);
    const search = (await get(app, KEYS.search)).body;
    expect(budgets(search).map((b) => b.name)).toEqual(['team-daily']);
    expect(budget(search, 'team-daily')?.counters.map((c) => c.value)).toEqual(['search']);
    expect(budgets((await get(app, KEYS.search, 'budget=research-monthly')).body)).toEqual([]);
    expect(budgets((await get(app, KEYS.search, 'budget=team-daily&value=research')).body)).toEqual([]);
  });

  it('reads an admin a counter no request touched yet by its per value', async () => {
    const { body } = await get(app, KEYS.admin, 'budget=team-daily&value=marketing');
    expect(budgets(body)).toMatchObject([{ name: 'team-daily', counters: [{ value: 'marketing', spentUsd: 0, reservedUsd: 0, remainingUsd: 0.001, refusing: false }] }]);
  });
}

describe('GET /v1/switchyard/budgets on budgets in memory', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  routeSpecs(() => createApp(config()));

  it('answers 401 without a valid key, and 400 in the OpenAI door\'s shape to unknown, repeated and malformed parameters', async () => {
    const app = await createApp(config());
    try {
      expect((await get(app, undefined)).res.status).toBe(401);
      expect((await get(app, 'sk-wrong')).res.status).toBe(401);
      for (const [query, param] of [
        // An unknown name is never quoted (it may be a pasted key): no `param`.
        ['teem=research', null],
        ['budget=team-daily&budget=org-daily', 'budget'],
        ['budget=%2A', 'budget'],
        ['value=', 'value'],
      ] as const) {
        const { res, body } = await get(app, KEYS.admin, query);
        expect(res.status, query).toBe(400);
        expect(body.error, query).toMatchObject({ type: 'invalid_request_error', code: 'invalid_budgets_query', param });
      }
      const pasted = await get(app, KEYS.admin, `${KEYS.research}=1`);
      expect(pasted.res.status).toBe(400);
      expect(JSON.stringify(pasted.body)).not.toContain(KEYS.research);
    } finally {
      await app.close();
    }
  });

  it('answers an empty list when no budget is configured', async () => {
    const app = await createApp(config({ budgets: { limits: [] } }));
    try {
      const { res, body } = await get(app, KEYS.admin);
      expect(res.status).toBe(200);
      expect(body).toEqual({ object: 'switchyard.budgets', budgets: [], truncated: false });
    } finally {
      await app.close();
    }
  });
});

if (REDIS_URL) {
  describe('GET /v1/switchyard/budgets on budgets shared through Redis', () => {
    const prefix = `budgets-route-${process.pid}-${Math.floor(Math.random() * 1e9)}:`;
    const redisConfig = () => config({ state: { redis_url: REDIS_URL, key_prefix: prefix }, budgets: { state: 'redis', limits: BUDGETS } });
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(NOW);
    });
    afterEach(async () => {
      vi.useRealTimers();
      const admin = new Redis(REDIS_URL);
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    });
    routeSpecs(() => createApp(redisConfig()));

    it('reads on one replica the counters another replica spent and reserved', async () => {
      const [one, two] = await Promise.all([createApp(redisConfig()), createApp(redisConfig())]);
      try {
        await request(one as App, 'x1', 'research');
        await request(one as App, 'x2', 'search', false);
        await vi.waitFor(async () => {
          const { body } = await get(two as App, KEYS.admin, 'budget=team-daily');
          const counters = budget(body, 'team-daily')?.counters.map((c) => [c.value, c.spentUsd, c.reservedUsd]).sort();
          expect(counters).toEqual([['research', ESTIMATE, 0], ['search', 0, ESTIMATE]]);
        });
      } finally {
        await one?.close();
        await two?.close();
      }
    });
  });
} else {
  describe.skip('GET /v1/switchyard/budgets on budgets shared through Redis (REDIS_URL is not set)', () => {
    it('reads the counters every replica shares', () => undefined);
  });
}
