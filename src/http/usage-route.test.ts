import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ledgerSpend } from '../ledger/budgets/seed.js';
import { parseConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway } from '../gateway/gateway.js';
import type { Gateway } from '../gateway/api.js';
import { openSeeded, seedUsage } from '../ledger/testing/big-ledger.js';
import type { LedgerStore, SqlLedgerStore } from '../ledger/store/sql-store.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import type { HeaderMap, HttpRequest, HttpResponse } from './exchange.js';
import { createAuthenticator, NOBODY, type Caller } from './auth.js';
import { createHttpHandler } from './handler.js';
import { createUsageRoute, UsageQueryCounts } from './usage-route.js';

const request = (method: string, path: string, query = '', body?: unknown): HttpRequest => ({
  method,
  path,
  query,
  headers: { 'content-type': 'application/json' },
  body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  signal: new AbortController().signal,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ledger's 30 days grouped by day, provider and status: about a second's read of 200,000 events. */
const LONG_USAGE = 'from=2025-06-01&to=2025-06-30&group_by=day,provider,status';

describe('GET /v1/switchyard/usage on a SQLite ledger with months of history', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'usage-route-')), 'ledger.sqlite');
  let sim: SimServer;
  let gateway: Gateway;
  const stores: SqlLedgerStore[] = [];

  beforeAll(async () => {
    await seedUsage(path, 200_000);
    sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    const parsed = parseConfig(
      {
        deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
        groups: [{ name: 'gpt-4o-mini', deployments: ['oai'] }],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config);
  }, 60_000);

  afterAll(async () => {
    for (const store of stores) await store.close();
    await gateway.close();
    await sim.close();
  });

  const handlerOn = async (options: { queryTimeoutMs?: number; logger?: Logger; perCaller?: number } = {}) => {
    const store = await openSeeded(path, { queryTimeoutMs: options.queryTimeoutMs });
    stores.push(store);
    // An `x-key` header names the caller's key (an admin, so its query reads every key's events).
    const keyless = createAuthenticator(gateway.config);
    const authenticate = (headers: HeaderMap): Caller => {
      const key = headers['x-key'];
      return typeof key === 'string' ? { ...NOBODY, keyId: key, role: 'admin' } : keyless(headers);
    };
    return createHttpHandler(gateway, { authenticate, routes: [createUsageRoute(store, () => Date.UTC(2025, 6, 1), options.logger ?? silentLogger, { perCaller: options.perCaller })] });
  };

  /**
   * How long `ask` takes when asked while a long usage query runs, how long that query took, and
   * whether it was still running when `ask` was answered.
   */
  const whileUsageRuns = async (handle: (r: HttpRequest) => Promise<HttpResponse>, ask: () => Promise<HttpResponse>) => {
    let usageDone = false;
    const usageStart = performance.now();
    const usage = handle(request('GET', '/v1/switchyard/usage', LONG_USAGE)).finally(() => (usageDone = true));
    await sleep(20);
    const start = performance.now();
    const answer = await ask();
    const ms = performance.now() - start;
    const stillRunning = !usageDone;
    expect((await usage).status).toBe(200);
    return { answer, ms, stillRunning, usageMs: performance.now() - usageStart };
  };

  it('answers /healthz and a chat request while a usage query reads 200,000 events, in a small share of the query\'s time', async () => {
    const handle = await handlerOn();
    await handle(request('GET', '/v1/switchyard/usage', 'from=2025-07-01&to=2025-07-01'));
    const chat = () => handle(request('POST', '/v1/chat/completions', '', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect((await chat()).status).toBe(200);

    // Shares of the query, not milliseconds: a loaded machine slows the query and the answers alike. A
    // query on the event loop (or in slices of it) holds each answer for all (or much) of its time.
    const health = await whileUsageRuns(handle, () => handle(request('GET', '/healthz')));
    expect([health.answer.status, health.stillRunning]).toEqual([200, true]);
    expect(health.ms).toBeLessThan(health.usageMs / 25);
    const answered = await whileUsageRuns(handle, chat);
    expect([answered.answer.status, answered.stillRunning]).toEqual([200, true]);
    expect(answered.ms).toBeLessThan(answered.usageMs / 10);
  }, 60_000);

  it('answers a usage query past ledger.query_timeout_ms with 503 ledger_unavailable and retry-after, and logs a warning', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, child: () => logger, warn: (_obj, msg) => void warnings.push(msg ?? '') };
    const handle = await handlerOn({ queryTimeoutMs: 100, logger });
    const answer = await handle(request('GET', '/v1/switchyard/usage', LONG_USAGE));
    expect([answer.status, answer.headers['retry-after']]).toEqual([503, '1']);
    expect(JSON.parse(answer.body as string)).toMatchObject({ error: { code: 'ledger_unavailable', message: 'The usage ledger cannot be read right now; try again shortly.' } });
    expect(warnings).toEqual(['usage query failed: the ledger database cannot be reached']);
  }, 30_000);

  it('refuses a key a third usage query while two of its own run, with 429 usage_queries_in_flight and retry-after in the OpenAI shape; other keys are served, and so is the key once one is answered', async () => {
    const handle = await handlerOn({ perCaller: 2 });
    const usage = (key: string) => handle({ ...request('GET', '/v1/switchyard/usage', 'from=2025-06-01&to=2025-06-02&group_by=day'), headers: { 'x-key': key } });
    const running = [usage('alice'), usage('alice')];
    const refused = await usage('alice');
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '1']);
    expect(JSON.parse(refused.body as string)).toEqual({
      error: { type: 'rate_limit_error', code: 'usage_queries_in_flight', param: null, message: 'At most 2 usage queries per API key run at once; try again when one has been answered.' },
    });
    const bob = usage('bob');
    await running[0];
    const again = usage('alice');
    expect((await Promise.all([running[1]!, bob, again])).map((a) => a.status)).toEqual([200, 200, 200]);
  }, 60_000);

  it('refuses a group_by that would answer more than 10,000 groups with a 400 naming the bound, reading no more than 10,001 of them; 5,100 groups are answered', async () => {
    const handle = await handlerOn();
    await handle(request('GET', '/v1/switchyard/usage', 'from=2025-07-01&to=2025-07-01'));
    const sixteen = 'provider,model,deployment,region,key,team,user,group,day,status,operation,role,tag:project,tag:a,tag:b,tag:c';
    // One group per event: 200,000 groups were a 100 MB answer and ~3 s of the event loop. Counted, not
    // timed (a loop stall's length is the machine's): the store hands over one group past the bound.
    const store = stores.at(-1)!;
    const summarize = store.summarize.bind(store);
    const handed: number[] = [];
    vi.spyOn(store, 'summarize').mockImplementation(async (q) => {
      const rows = await summarize(q);
      handed.push(rows.length);
      return rows;
    });
    const wide = await handle(request('GET', '/v1/switchyard/usage', `from=2025-06-01&to=2025-06-30&group_by=${sixteen}`));
    expect([wide.status, JSON.parse(wide.body as string)]).toEqual([
      400,
      { error: { type: 'invalid_request_error', code: 'invalid_usage_query', param: null, message: 'the answer would hold more than 10000 groups; group by fewer dimensions or narrow from/to (switchyard report reads any number)' } },
    ]);
    // The groups, then the whole range's one total.
    expect(handed.sort((a, b) => b - a)).toEqual([10_001, 1]);
    const answered = await handle(request('GET', '/v1/switchyard/usage', 'from=2025-06-01&to=2025-06-30&group_by=user,key,day'));
    expect([answered.status, (JSON.parse(answered.body as string) as { data: unknown[] }).data.length]).toEqual([200, 17 * 100 * 3]);
  }, 60_000);
});

/**
 * A ledger store whose usage summaries wait until `open()`, as a reader thread busy with long reports
 * keeps them; a budget seeding's read (`lane: 'request'`) answers at once. `asked` counts summaries.
 */
function slowLedger() {
  let open = (): void => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const ledger = { asked: 0, open: () => open(), store: undefined as unknown as LedgerStore };
  ledger.store = {
    dialect: 'sqlite',
    insert: async () => 0,
    summarize: async (q) => {
      if (q.lane === 'request') return [];
      ledger.asked++;
      await gate;
      return [];
    },
    close: async () => undefined,
  };
  return ledger;
}

describe('GET /v1/switchyard/usage under many callers at once (ledger.usage_queries_max)', () => {
  const parsed = parseConfig({ deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }], groups: [{ name: 'chat', deployments: ['oai'] }] }, {});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const gateway = createGateway(parsed.config);
  afterAll(() => gateway.close());

  it('refuses a query past the process-wide bound with 503 ledger_busy and retry-after in the OpenAI shape, before it reaches the ledger; a budget seeding still reads, and queries are taken again once those running are answered', async () => {
    const ledger = slowLedger();
    const authenticate = (headers: HeaderMap): Caller => ({ ...NOBODY, keyId: String(headers['x-key']), role: 'admin' });
    const handle = createHttpHandler(gateway, { authenticate, routes: [createUsageRoute(ledger.store, () => Date.UTC(2025, 6, 1), silentLogger, { perCaller: 2, max: 3 })] });
    const usage = (key: string) => handle({ ...request('GET', '/v1/switchyard/usage', 'from=2025-06-01&to=2025-06-30'), headers: { 'x-key': key } });

    // Three queries (two summaries each: the groups and the total) fill the bound of 3.
    const running = [usage('alice'), usage('alice'), usage('bob')];
    await expect.poll(() => ledger.asked).toBe(6);
    const refused = await usage('dave');
    expect([refused.status, refused.headers['retry-after']]).toEqual([503, '1']);
    expect(JSON.parse(refused.body as string)).toEqual({
      error: { type: 'server_error', code: 'ledger_busy', param: null, message: 'The gateway is answering as many usage queries as it takes at once (3); try again shortly.' },
    });
    // A key at its own bound is told so first: the 429 says to wait for its own queries.
    expect((await usage('alice')).status).toBe(429);
    expect(ledger.asked).toBe(6);

    const budget = { name: 'per-key', period: 'monthly' as const, hard_usd: 100, per: 'key', match: {} };
    expect(await ledgerSpend(ledger.store, budget, 'k7', Date.UTC(2025, 5, 1), Date.UTC(2025, 6, 1))).toBe(0);

    ledger.open();
    expect((await Promise.all(running)).map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await usage('dave')).status).toBe(200);
  });

  it('bounds the process, not each app: after a reload the new app counts the old one\'s queries still running, per key and in all', async () => {
    const ledger = slowLedger();
    const authenticate = (headers: HeaderMap): Caller => ({ ...NOBODY, keyId: String(headers['x-key']), role: 'admin' });
    const counts = new UsageQueryCounts();
    const generation = () => createHttpHandler(gateway, { authenticate, routes: [createUsageRoute(ledger.store, () => Date.UTC(2025, 6, 1), silentLogger, { perCaller: 2, max: 3, counts })] });
    const [old, reloaded] = [generation(), generation()];
    const usage = (handle: typeof old, key: string) => handle({ ...request('GET', '/v1/switchyard/usage', 'from=2025-06-01&to=2025-06-30'), headers: { 'x-key': key } });

    const running = [usage(old, 'alice'), usage(old, 'alice'), usage(old, 'bob')];
    await expect.poll(() => ledger.asked).toBe(6);
    expect((await usage(reloaded, 'alice')).status).toBe(429);
    expect((await usage(reloaded, 'dave')).status).toBe(503);
    expect(ledger.asked).toBe(6);

    ledger.open();
    expect((await Promise.all(running)).map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await usage(reloaded, 'dave')).status).toBe(200);
  });
});
