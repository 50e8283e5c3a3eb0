import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { makeUsage } from '../core/types.js';
import { admissionRequest, attempt } from '../ledger/testing/fixtures.js';
import type { BudgetReadout } from '../ledger/budgets/readout.js';
import { MemoryBudgetState } from '../ledger/budgets/state.js';
import type { AuditEntry } from '../governance/audit/chain.js';
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

/** Calls the override routes (`/v1/switchyard/budgets/overrides`) as `key`. */
async function overrides(app: App, key: string, method: 'GET' | 'POST' | 'DELETE', body?: unknown, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const bytes = body === undefined ? undefined : new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  const res = await createHttpHandler(app.gateway, app.handlerOptions)({ method, path: '/v1/switchyard/budgets/overrides', query, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: bytes, signal: NEVER_CANCELLED });
  return { status: res.status, body: JSON.parse(Buffer.from(res.body as Uint8Array).toString('utf8')) as Record<string, unknown> };
}

/** What the audit log holds of the budget overrides. */
async function overrideAudit(app: App): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for await (const page of app.governance.audit?.entries() ?? []) all.push(...page);
  return all.filter((e) => e.action.startsWith('budget.override'));
}

const RAISE = { budget: 'team-daily', value: 'research', hard_usd: 0.002, expires_in_minutes: 60, reason: 'incident 42: research backfill' };

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
    expect(budget(body, 'org-daily')?.counters).toEqual([{ scope: 'global', value: null, spentUsd: ESTIMATE, reservedUsd: ESTIMATE, remainingUsd: 4.9991, periodStart: '2025-06-15T00:00:00.000Z', resetsAt: '2025-06-16T00:00:00.000Z', refusing: false, override: null }]);
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

  it('lets on-call raise a team\'s hard limit until an expiry: refused requests pass, the readout says until when, and it ends by itself', async () => {
    for (const id of ['r1', 'r2', 'r3']) await request(app, id, 'research');
    await expect(request(app, 'r4', 'research')).rejects.toMatchObject({ kind: 'budget_exceeded' });
    const set = await overrides(app, KEYS.admin, 'POST', RAISE);
    expect(set).toEqual({ status: 200, body: { object: 'switchyard.budget_override', budget: 'team-daily', value: 'research', hardUsd: 0.002, softUsd: null, expiresAt: '2025-06-15T13:00:00.000Z', setAt: '2025-06-15T12:00:00.000Z', by: 'key:admin', reason: RAISE.reason, replaced: null } });
    await request(app, 'r5', 'research');
    const readout = budget((await get(app, KEYS.admin, 'budget=team-daily&value=research')).body, 'team-daily');
    expect(readout).toMatchObject({ hardUsd: 0.001, counters: [{ value: 'research', spentUsd: 0.0018, remainingUsd: 0.0002, refusing: false, override: { hardUsd: 0.002, softUsd: null, expiresAt: '2025-06-15T13:00:00.000Z' } }] });
    // The team's own key sees the limit in force on its counter too; the other team's counter keeps the config's.
    expect(budget((await get(app, KEYS.research)).body, 'team-daily')?.counters[0]?.override).toMatchObject({ hardUsd: 0.002 });
    await request(app, 's1', 'search');
    await request(app, 's2', 'search');
    await request(app, 's3', 'search');
    await expect(request(app, 's4', 'search')).rejects.toMatchObject({ kind: 'budget_exceeded' });
    expect((await overrides(app, KEYS.admin, 'GET')).body).toMatchObject({ overrides: [{ budget: 'team-daily', value: 'research', hardUsd: 0.002, by: 'key:admin', reason: RAISE.reason }] });
    vi.setSystemTime(NOW + 3_600_000);
    await expect(request(app, 'r6', 'research')).rejects.toMatchObject({ kind: 'budget_exceeded' });
    expect(budget((await get(app, KEYS.admin, 'budget=team-daily&value=research')).body, 'team-daily')?.counters[0]).toMatchObject({ refusing: true, override: null });
    expect((await overrides(app, KEYS.admin, 'GET')).body).toEqual({ object: 'switchyard.budget_overrides', overrides: [] });
  });

  it('names the override in the 429 it refuses with, and gives the budget its own limit back once removed', async () => {
    await overrides(app, KEYS.admin, 'POST', { ...RAISE, hard_usd: 0.0009, soft_usd: 0.0005 });
    for (const id of ['r1', 'r2']) await request(app, id, 'research');
    const refused = await request(app, 'r3', 'research').catch((err: unknown) => err);
    expect(GatewayError.isInstance(refused) && refused.message).toContain('temporarily overridden hard limit of $0.0009');
    const removed = await overrides(app, KEYS.admin, 'DELETE', undefined, 'budget=team-daily&value=research');
    expect(removed).toMatchObject({ status: 200, body: { hardUsd: 0.0009, softUsd: 0.0005, removed: true } });
    await request(app, 'r3', 'research');
    expect((await overrides(app, KEYS.admin, 'DELETE', undefined, 'budget=team-daily&value=research')).status).toBe(404);
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
        // A `per` value is a tag value: no control characters.
        ['value=%00', 'value'],
        ['value=a%E2%80%AEb', 'value'],
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

  it('audits every override set and removed: who, which budget, the limits before and after, expiry and reason', async () => {
    const app = await createApp(config());
    try {
      await overrides(app, KEYS.admin, 'POST', RAISE);
      await overrides(app, KEYS.admin, 'POST', { budget: 'team-daily', value: 'research', hard_usd: 0.003, expires_at: '2025-06-16T12:00:00Z', reason: 'still backfilling' });
      await overrides(app, KEYS.admin, 'DELETE', undefined, 'budget=team-daily&value=research');
      await expect.poll(async () => (await overrideAudit(app)).length, { timeout: 2_000 }).toBe(3);
      expect((await overrideAudit(app)).map(({ actor, action, subject, details }) => ({ actor, action, subject, details }))).toEqual([
        { actor: 'key:admin', action: 'budget.override_set', subject: 'budget:team-daily|research', details: { budget: 'team-daily', value: 'research', old: null, new: { hardUsd: 0.002, softUsd: null, expiresAt: '2025-06-15T13:00:00.000Z', reason: RAISE.reason } } },
        { actor: 'key:admin', action: 'budget.override_set', subject: 'budget:team-daily|research', details: { budget: 'team-daily', value: 'research', old: { hardUsd: 0.002, softUsd: null, expiresAt: '2025-06-15T13:00:00.000Z', reason: RAISE.reason }, new: { hardUsd: 0.003, softUsd: null, expiresAt: '2025-06-16T12:00:00.000Z', reason: 'still backfilling' } } },
        { actor: 'key:admin', action: 'budget.override_removed', subject: 'budget:team-daily|research', details: { budget: 'team-daily', value: 'research', old: { hardUsd: 0.003, softUsd: null, expiresAt: '2025-06-16T12:00:00.000Z', reason: 'still backfilling' }, new: null } },
      ]);
    } finally {
      await app.close();
    }
  });

  it('refuses a bad override with a 400 naming the field, an unknown budget with a 404 and a non-admin key with a 403, changing nothing', async () => {
    const app = await createApp(config());
    try {
      const cases: Array<[unknown, number, string | null]> = [
        // An unknown field is named in `param`, as the OpenAI door names one.
        [{ ...RAISE, colour: 'red' }, 400, 'colour'],
        [{ ...RAISE, soft_usd: 0.003 }, 400, 'soft_usd'],
        // A `per` value is a tag value: no control characters (Postgres would refuse the audit entry).
        [{ ...RAISE, value: 'a\u0000b' }, 400, 'value'],
        [{ ...RAISE, value: 'a\u202eb' }, 400, 'value'],
        [{ ...RAISE, hard_usd: 'lots' }, 400, 'hard_usd'],
        [{ ...RAISE, hard_usd: -1 }, 400, 'hard_usd'],
        [{ ...RAISE, soft_usd: 0 }, 400, 'soft_usd'],
        [{ ...RAISE, expires_in_minutes: 7 * 24 * 60 + 1 }, 400, 'expires_in_minutes'],
        [{ ...RAISE, expires_in_minutes: undefined, expires_at: '2025-06-23T12:00:01Z' }, 400, 'expires_at'],
        [{ ...RAISE, expires_in_minutes: undefined, expires_at: '2025-06-15T11:00:00Z' }, 400, 'expires_at'],
        [{ ...RAISE, expires_in_minutes: undefined }, 400, 'expires_at'],
        [{ ...RAISE, expires_at: '2025-06-15T13:00:00Z' }, 400, 'expires_at'],
        [{ ...RAISE, reason: ' ' }, 400, 'reason'],
        [{ ...RAISE, reason: 'INC-1\u0000' }, 400, 'reason'],
        [{ ...RAISE, reason: 'INC-1\u001b[31m' }, 400, 'reason'],
        [{ ...RAISE, value: undefined }, 400, 'value'],
        [{ ...RAISE, budget: 'org-daily' }, 400, 'value'],
        [{ ...RAISE, budget: 'no-such-budget' }, 404, 'budget'],
        ['{"budget": ', 400, null],
        [undefined, 400, null],
      ];
      for (const [body, status, param] of cases) {
        const res = await overrides(app, KEYS.admin, 'POST', body);
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect((res.body.error as Record<string, unknown>).param ?? null, JSON.stringify(body)).toBe(param);
      }
      expect((await overrides(app, KEYS.research, 'POST', RAISE)).status).toBe(403);
      expect((await overrides(app, KEYS.research, 'GET')).status).toBe(403);
      expect((await overrides(app, KEYS.research, 'DELETE', undefined, 'budget=team-daily&value=research')).status).toBe(403);
      expect((await overrides(app, KEYS.admin, 'DELETE', undefined, 'budget=nope')).status).toBe(404);
      expect((await overrides(app, KEYS.admin, 'DELETE', undefined, 'value=research')).status).toBe(400);
      expect((await overrides(app, KEYS.admin, 'GET', undefined, 'budget=team-daily')).status).toBe(400);
      expect((await overrides(app, KEYS.admin, 'GET')).body).toEqual({ object: 'switchyard.budget_overrides', overrides: [] });
    } finally {
      await app.close();
    }
  });

  it('removes, and audits removing, an override a reload left behind, which no longer overrides any counter nor shows as one', async () => {
    const state = new MemoryBudgetState();
    const before = await createApp(config(), { budgetState: state });
    try {
      expect((await overrides(before, KEYS.admin, 'POST', RAISE)).status).toBe(200);
      expect((await overrides(before, KEYS.admin, 'POST', { ...RAISE, budget: 'org-daily', value: undefined })).status).toBe(200);
    } finally {
      await before.close();
    }
    // The reload: team-daily counts everyone on one counter now, and org-daily is gone.
    const after = await createApp(config({ budgets: { limits: [{ name: 'team-daily', period: 'daily', hard_usd: 0.001 }] } }), { budgetState: state });
    try {
      const readout = budgets((await get(after, KEYS.admin)).body);
      expect(readout.map((b) => [b.name, b.counters.map((c) => [c.value, c.override])])).toEqual([['team-daily', [[null, null]]]]);
      for (const id of ['r1', 'r2', 'r3']) await request(after, id, 'research');
      await expect(request(after, 'r4', 'research')).rejects.toMatchObject({ kind: 'budget_exceeded', message: expect.not.stringContaining('overridden') });
      expect(((await overrides(after, KEYS.admin, 'GET')).body.overrides as unknown[]).length).toBe(2);
      expect(await overrides(after, KEYS.admin, 'DELETE', undefined, 'budget=team-daily&value=research')).toMatchObject({ status: 200, body: { budget: 'team-daily', value: 'research', removed: true } });
      expect(await overrides(after, KEYS.admin, 'DELETE', undefined, 'budget=org-daily')).toMatchObject({ status: 200, body: { budget: 'org-daily', value: null, removed: true } });
      expect((await overrides(after, KEYS.admin, 'GET')).body.overrides).toEqual([]);
      await expect.poll(async () => (await overrideAudit(after)).map((e) => [e.action, e.subject]), { timeout: 2_000 }).toEqual([
        ['budget.override_removed', 'budget:team-daily|research'],
        ['budget.override_removed', 'budget:org-daily'],
      ]);
      // With nothing left to remove, the config explains the miss as before.
      expect((await overrides(after, KEYS.admin, 'DELETE', undefined, 'budget=org-daily')).body.error).toMatchObject({ code: 'unknown_budget' });
      expect((await overrides(after, KEYS.admin, 'DELETE', undefined, 'budget=team-daily&value=research')).body.error).toMatchObject({ param: 'value' });
    } finally {
      await after.close();
      await state.close();
    }
  });

  it('counts every budget_exceeded refusal per config budget in switchyard_budget_refusals_total, each at 0 before its first', async () => {
    const app = await createApp(config());
    try {
      const scrape = async () => {
        const res = await createHttpHandler(app.gateway, app.handlerOptions)({ method: 'GET', path: '/metrics', query: '', headers: { authorization: `Bearer ${KEYS.admin}` }, body: undefined, signal: NEVER_CANCELLED });
        expect(res.status).toBe(200);
        const text = typeof res.body === 'string' ? res.body : Buffer.from(res.body as Uint8Array).toString('utf8');
        return text.split('\n').filter((line) => line.startsWith('switchyard_budget_refusals_total'));
      };
      expect((await scrape()).sort()).toEqual(['switchyard_budget_refusals_total{budget="org-daily"} 0', 'switchyard_budget_refusals_total{budget="research-monthly"} 0', 'switchyard_budget_refusals_total{budget="team-daily"} 0']);
      for (const id of ['r1', 'r2', 'r3']) await request(app, id, 'research');
      for (const id of ['r4', 'r5']) await expect(request(app, id, 'research')).rejects.toMatchObject({ kind: 'budget_exceeded' });
      for (const id of ['s1', 's2', 's3']) await request(app, id, 'search');
      await expect(request(app, 's4', 'search')).rejects.toMatchObject({ kind: 'budget_exceeded' });
      // One series per budget, however many teams it refused: never a label per `per` value.
      expect(await scrape()).toContain('switchyard_budget_refusals_total{budget="team-daily"} 3');
      expect(await scrape()).toContain('switchyard_budget_refusals_total{budget="org-daily"} 0');
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

    it('enforces an override set through one replica on another, which also reads it', async () => {
      const [one, two] = await Promise.all([createApp(redisConfig()), createApp(redisConfig())]);
      try {
        for (const id of ['x1', 'x2', 'x3']) await request(two as App, id, 'research');
        await expect(request(two as App, 'x4', 'research')).rejects.toMatchObject({ kind: 'budget_exceeded' });
        expect((await overrides(one as App, KEYS.admin, 'POST', RAISE)).status).toBe(200);
        await request(two as App, 'x5', 'research');
        expect(budget((await get(two as App, KEYS.admin, 'budget=team-daily&value=research')).body, 'team-daily')?.counters[0]?.override).toMatchObject({ hardUsd: 0.002 });
      } finally {
        await one?.close();
        await two?.close();
      }
    });

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
