import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { AdmissionRequest } from '../../core/events.js';
import { makeUsage } from '../../core/types.js';
import { resolveConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { toUsageEvent } from '../event.js';
import { createLedger, MemoryBudgetState } from '../index.js';
import { BudgetGuard } from './guard.js';
import { openSqlite } from '../store/sqlite-driver.js';
import { SqlLedgerStore, type LedgerStore } from '../store/sql-store.js';
import { admissionRequest, attempt } from '../testing/fixtures.js';
import { journalLine } from '../journal-line.js';

const NOW = Date.parse('2025-06-15T12:00:00Z');

function config(budgets: ConfigInput['budgets'], ledger: ConfigInput['ledger'] = { path: ':memory:' }) {
  return resolveConfig({
    deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
    budgets,
    ledger,
  });
}

const request = (id: string, tags: Record<string, string> = { key: 'k1', team: 'research' }): AdmissionRequest => admissionRequest(id, tags);

// gpt-4o-mini: 1000 x 0.15 + 500 x 0.60 = 450 micro-dollars reserved per request.
const ESTIMATE = 0.00045;

describe('budgets', () => {
  it('a hard stop under 50 concurrent requests overshoots by at most one request estimate', async () => {
    const ledger = await createLedger(config({ limits: [{ name: 'global-daily', period: 'daily', hard_usd: 0.01 }] }), { now: () => NOW });
    let admitted = 0;
    let refused = 0;
    // Waves of 50 concurrent requests until the budget refuses everything.
    for (let wave = 0; wave < 10; wave += 1) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const id = `w${wave}-${i}`;
          let ticket;
          try {
            ticket = await ledger.admission.admit(request(id));
          } catch (err) {
            expect(GatewayError.isInstance(err) && err.kind).toBe('budget_exceeded');
            refused += 1;
            return;
          }
          admitted += 1;
          await new Promise((r) => setTimeout(r, (i * 7) % 5));
          // The real answer uses every allowed token: the worst case for overshoot.
          ledger.observer.onAttempt(attempt({ requestId: id, deployment: 'oai', provider: 'openai-compatible', startedAt: NOW, usage: makeUsage({ prompt: 1000, completion: 500 }) }));
          ticket.release();
        }),
      );
    }
    await ledger.flush();
    const [total] = await ledger.store!.summarize({ from: 0, to: NOW + 1, groupBy: [] });
    expect(refused).toBeGreaterThan(0);
    expect(total?.attempts).toBe(admitted);
    expect(total!.costUsd).toBeGreaterThanOrEqual(0.01 - ESTIMATE);
    expect(total!.costUsd).toBeLessThanOrEqual(0.01 + ESTIMATE + 1e-12);
    await ledger.close();
  });

  it('refuses with budget_exceeded (429) naming the budget, its scope and when it resets', async () => {
    const ledger = await createLedger(config({ limits: [{ name: 'research-monthly', period: 'monthly', per: 'team', hard_usd: 0.0001 }] }), { now: () => NOW });
    const t = await ledger.admission.admit(request('a'));
    ledger.observer.onAttempt(attempt({ requestId: 'a', deployment: 'oai', startedAt: NOW }));
    t.release();
    const err = await Promise.resolve(ledger.admission.admit(request('b'))).catch((e: unknown) => e);
    expect(GatewayError.isInstance(err)).toBe(true);
    const e = err as GatewayError;
    expect(e.kind).toBe('budget_exceeded');
    expect(e.status).toBe(429);
    expect(e.message).toBe('Budget "research-monthly" (monthly, team=research) has reached its hard limit of $0.0001; it resets at 2025-07-01T00:00:00.000Z.');
    expect(e.retryAfterMs).toBe(Date.parse('2025-07-01T00:00:00Z') - NOW);
    // Another team has its own counter.
    await expect(Promise.resolve(ledger.admission.admit(request('c', { key: 'k2', team: 'ops' })))).resolves.toBeDefined();
    await ledger.close();
  });

  it('a soft limit warns and notifies once per period through the callback and the webhook', async () => {
    const notices: unknown[] = [];
    const posted: string[] = [];
    const server = await import('node:http').then(({ createServer }) => {
      const s = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          posted.push(body);
          res.end('ok');
        });
      });
      return new Promise<typeof s>((r) => s.listen(0, '127.0.0.1', () => r(s)));
    });
    const port = (server.address() as { port: number }).port;
    const ledger = await createLedger(
      config({ limits: [{ name: 'key-daily', period: 'daily', per: 'key', soft_usd: 0.0002, webhook: `http://127.0.0.1:${port}/hook` }] }),
      { now: () => NOW, onSoftLimit: (n) => notices.push(n) },
    );
    for (let i = 0; i < 5; i += 1) {
      const t = await ledger.admission.admit(request(`s${i}`));
      ledger.observer.onAttempt(attempt({ requestId: `s${i}`, deployment: 'oai', startedAt: NOW }));
      t.release();
    }
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    expect(notices).toEqual([{ budget: 'key-daily', period: 'daily', scope: 'key=k1', softUsd: 0.0002, spentUsd: 0.00021, resetsAt: '2025-06-16T00:00:00.000Z' }]);
    expect(JSON.parse(posted[0] as string)).toEqual(notices[0]);
    await ledger.close();
    server.close();
  });

  it('does not follow a webhook\'s redirect: the notice goes to the configured host only, and the failure is logged without the URL', async () => {
    const { createServer } = await import('node:http');
    const listen = (s: ReturnType<typeof createServer>) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));
    // What a redirect could point at: an address inside the gateway's network, never named by the config.
    const internal: string[] = [];
    const inside = createServer((req, res) => {
      internal.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    const insidePort = await listen(inside);
    const hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(307, { location: `http://127.0.0.1:${insidePort}/admin` });
        res.end();
      });
    });
    const hookPort = await listen(hook);
    const warnings: Array<[Record<string, unknown>, string]> = [];
    const logger: Logger = { ...silentLogger, warn: (obj, msg) => void warnings.push([obj as Record<string, unknown>, msg ?? '']), child: () => logger };
    const ledger = await createLedger(
      config({ limits: [{ name: 'key-daily', period: 'daily', per: 'key', soft_usd: 0.0002, webhook: `http://127.0.0.1:${hookPort}/hook/T0KEN` }] }),
      { now: () => NOW, logger },
    );
    for (let i = 0; i < 2; i += 1) {
      const t = await ledger.admission.admit(request(`r${i}`));
      ledger.observer.onAttempt(attempt({ requestId: `r${i}`, deployment: 'oai', startedAt: NOW }));
      t.release();
    }
    await vi.waitFor(() => expect(warnings.map(([, msg]) => msg)).toContain('budget webhook failed'));
    expect(internal).toEqual([]);
    const [failure] = warnings.filter(([, msg]) => msg === 'budget webhook failed');
    expect(failure?.[0]).toEqual({ budget: 'key-daily', err: 'webhook answered 307 (a redirect, not followed)' });
    await ledger.close();
    hook.close();
    inside.close();
  });

  it('releases the unused part of a reservation when the request ends', async () => {
    const ledger = await createLedger(config({ limits: [{ name: 'g', period: 'daily', hard_usd: 0.0009 }] }), { now: () => NOW });
    // Two reservations of 0.00045 reach the limit while both are in flight...
    const a = await ledger.admission.admit(request('a'));
    const b = await ledger.admission.admit(request('b'));
    await expect(Promise.resolve(ledger.admission.admit(request('c')))).rejects.toThrow(/hard limit/);
    // ...but they cost only 0.00021 each (1000 in, 100 out), so after settling there is room again.
    ledger.observer.onAttempt(attempt({ requestId: 'a', deployment: 'oai', startedAt: NOW }));
    ledger.observer.onAttempt(attempt({ requestId: 'b', deployment: 'oai', startedAt: NOW }));
    a.release();
    b.release();
    await expect(Promise.resolve(ledger.admission.admit(request('d')))).resolves.toBeDefined();
    await ledger.close();
  });

  it("books an attempt that started after midnight on the new day's counter, as the ledger dates its row, and frees the old day's reservation", async () => {
    let now = Date.parse('2025-06-15T23:59:59Z');
    const state = new MemoryBudgetState(() => now);
    const ledger = await createLedger(config({ limits: [{ name: 'daily', period: 'daily', hard_usd: 1 }] }), { now: () => now, budgetState: state });
    // Admitted on the 15th; its fallback starts on the 16th, after another request opened that day's counter.
    const late = await ledger.admission.admit(request('late'));
    now = Date.parse('2025-06-16T00:00:01Z');
    const other = await ledger.admission.admit(request('other'));
    ledger.observer.onAttempt(attempt({ requestId: 'other', deployment: 'oai', startedAt: now, usage: makeUsage({ prompt: 1000, completion: 500 }) }));
    other.release();
    now = Date.parse('2025-06-16T00:00:02Z');
    ledger.observer.onAttempt(attempt({ requestId: 'late', attempt: 2, role: 'fallback', deployment: 'oai', startedAt: now, usage: makeUsage({ prompt: 1000, completion: 500 }) }));
    late.release();
    await ledger.flush();
    const [day] = await ledger.store!.summarize({ from: Date.parse('2025-06-16T00:00:00Z'), to: Date.parse('2025-06-17T00:00:00Z'), groupBy: [] });
    expect(day?.costUsd).toBeCloseTo(2 * ESTIMATE, 10);
    expect(state.peek('daily|2025-06-16|*')?.spent).toBeCloseTo(2 * ESTIMATE, 10);
    expect(state.peek('daily|2025-06-15|*')).toEqual({ spent: 0, reserved: 0 });
    await ledger.close();
  });

  it('picks up this period\'s spend from the ledger after a restart', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'budget-'));
    const cfg = config({ limits: [{ name: 'k', period: 'daily', per: 'key', hard_usd: 0.0004 }] }, { path: join(dir, 'l.sqlite'), spill_path: join(dir, 'spill') });
    const first = await createLedger(cfg, { now: () => NOW });
    first.observer.onAttempt(attempt({ requestId: 'x', deployment: 'oai', startedAt: NOW, usage: makeUsage({ prompt: 2000, completion: 200 }) }));
    await first.close();
    // Restarted a minute later: the counter counts from its creation, the ledger supplies what came before.
    const second = await createLedger(cfg, { now: () => NOW + 60_000 });
    await expect(Promise.resolve(second.admission.admit(request('y')))).rejects.toThrow(/Budget "k" \(daily, key=k1\)/);
    await expect(Promise.resolve(second.admission.admit(request('z', { key: 'k2' })))).resolves.toBeDefined();
    await second.close();
  });

  it('seeds a counter only after the start has replayed the spill file the last run left (its store was down)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'budget-'));
    const spill = join(dir, 'spill');
    const cfg = config({ limits: [{ name: 'k', period: 'daily', per: 'key', hard_usd: 0.0004 }] }, { path: join(dir, 'l.sqlite'), spill_path: spill });
    const spent = Array.from({ length: 2000 }, (_, i) => toUsageEvent(attempt({ requestId: `old-${i}`, deployment: 'oai', startedAt: NOW - 60_000 + i, usage: makeUsage({ prompt: 10, completion: 1 }) }), { usd: 0.000001, priced: true }));
    writeFileSync(spill, spent.map((e) => journalLine(e)).join(''));
    const ledger = await createLedger(cfg, { now: () => NOW });
    await expect(Promise.resolve(ledger.admission.admit(request('y')))).rejects.toThrow(/Budget "k" \(daily, key=k1\)/);
    await ledger.close();
  });

  it('seeds a worker\'s counter only after the leftover another worker claimed is replayed (serve --workers: one journal folder, one primary)', async () => {
    const { mkdirSync, mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'budget-workers-'));
    const journal = join(dir, 'journal');
    mkdirSync(journal);
    const spent = Array.from({ length: 20_000 }, (_, i) => toUsageEvent(attempt({ requestId: `old-${i}`, deployment: 'oai', startedAt: NOW - 60_000 + i, usage: makeUsage({ prompt: 10, completion: 1 }) }), { usd: 0.000001, priced: true }));
    // A segment of a dead process (no pid exceeds pid_max, 2^22): $0.02 against a $0.0004 limit.
    writeFileSync(join(journal, '4194305-deadbeef-00000000.jsonl'), spent.map((e) => journalLine(e)).join(''));
    const cfg = config({ limits: [{ name: 'k', period: 'daily', per: 'key', hard_usd: 0.0004 }] }, { path: join(dir, 'l.sqlite'), spill_path: join(dir, 'spill-a'), journal_dir: journal });
    const primary = new MemoryBudgetState(() => NOW);
    const a = await createLedger(cfg, { now: () => NOW, budgetState: primary });
    const b = await createLedger({ ...cfg, ledger: { ...cfg.ledger, spill_path: join(dir, 'spill-b') } }, { now: () => NOW, budgetState: primary });
    // b found the segment claimed by a: its counter waits for a's replay.
    await expect(Promise.resolve(b.admission.admit(request('y')))).rejects.toThrow(/Budget "k" \(daily, key=k1\)/);
    await a.close();
    await b.close();
  });

  it('counts from now while the ledger cannot be read, and adds the earlier spend once it answers', async () => {
    const inner = await SqlLedgerStore.open(openSqlite(':memory:'));
    await inner.insert([toUsageEvent(attempt({ requestId: 'old', startedAt: NOW - 3_600_000, tags: { key: 'k1' } }), { usd: 0.0004, priced: true })]);
    let down = true;
    const store: LedgerStore = {
      dialect: 'sqlite',
      insert: (e) => inner.insert(e),
      summarize: async (q) => {
        if (down) throw new Error('database is down');
        return inner.summarize(q);
      },
      close: () => inner.close(),
    };
    let clock = NOW;
    const state = new MemoryBudgetState(() => clock);
    const ledger = await createLedger(config({ limits: [{ name: 'k', period: 'daily', per: 'key', hard_usd: 0.001 }] }, { path: ':memory:', retry_interval_ms: 1000 }), { now: () => clock, store, budgetState: state });
    // Admitted while the ledger is down: budgets keep counting this process's own spend.
    const a = await ledger.admission.admit(request('a'));
    a.release();
    expect(state.peek('k|2025-06-15|k1')).toEqual({ spent: 0, reserved: 0 });
    down = false;
    clock += 1001; // past the retry interval: the next admission seeds in the background
    const b = await ledger.admission.admit(request('b'));
    await vi.waitFor(() => expect(state.peek('k|2025-06-15|k1')?.spent).toBeCloseTo(0.0004, 12));
    // 0.0004 earlier + 0.00045 reserved < 0.001 admits one more; then the limit is reached.
    await expect(Promise.resolve(ledger.admission.admit(request('c')))).resolves.toBeDefined();
    await expect(Promise.resolve(ledger.admission.admit(request('d')))).rejects.toThrow(/hard limit/);
    b.release();
    await ledger.close();
    await inner.close();
  });

  it('reports each counter\'s spend and hard limit of the current period, for metrics', async () => {
    let clock = NOW;
    const ledger = await createLedger(
      config({
        limits: [
          { name: 'global', period: 'daily', hard_usd: 1 },
          { name: 'research', period: 'monthly', soft_usd: 0.5, match: { team: 'research' } },
          { name: 'per-key', period: 'daily', per: 'key', hard_usd: 0.2 },
        ],
      }),
      { now: () => clock },
    );
    const guard = ledger.admission as BudgetGuard;
    // Before any request: the config's budgets without `per` with their limit, no spend held yet; each
    // config budget's refusals (none yet), a `per` budget's on a row with no figures until it has a counter.
    expect(await guard.spending()).toEqual([
      { budget: 'global', period: 'daily', scope: 'global', spentUsd: undefined, limitUsd: 1, refusals: 0 },
      { budget: 'research', period: 'monthly', scope: 'team=research', spentUsd: undefined, limitUsd: undefined, refusals: 0 },
      { budget: 'per-key', period: 'daily', scope: '', spentUsd: undefined, limitUsd: undefined, refusals: 0 },
    ]);
    const ticket = await ledger.admission.admit(request('a'));
    ledger.observer.onAttempt(attempt({ requestId: 'a', deployment: 'oai', provider: 'openai-compatible', startedAt: NOW, usage: makeUsage({ prompt: 1000, completion: 500 }) }));
    ticket.release();
    await vi.waitFor(async () => expect((await guard.spending()).map((b) => [b.budget, b.scope, b.spentUsd, b.limitUsd])).toEqual([
      ['global', 'global', ESTIMATE, 1],
      ['research', 'team=research', ESTIMATE, undefined],
      ['per-key', 'key=k1', ESTIMATE, 0.2],
    ]));
    // The next day the daily counters start over; yesterday's per-key counter is no longer reported.
    clock += 86_400_000;
    expect((await guard.spending()).map((b) => [b.budget, b.spentUsd])).toEqual([
      ['global', undefined],
      ['research', ESTIMATE],
      ['per-key', undefined],
    ]);
    await ledger.close();
  });

  it("reports the counters a reload's predecessor counted on at once, before a request touches them again", async () => {
    const state = new MemoryBudgetState(() => NOW);
    const budgets = config({ limits: [{ name: 'per-key', period: 'daily', per: 'key', hard_usd: 0.2 }] });
    const before = await createLedger(budgets, { now: () => NOW, budgetState: state });
    (await before.admission.admit(request('a'))).release();
    before.observer.onAttempt(attempt({ requestId: 'a', deployment: 'oai', provider: 'openai-compatible', startedAt: NOW, usage: makeUsage({ prompt: 1000, completion: 500 }) }));
    await vi.waitFor(async () => expect((await (before.admission as BudgetGuard).spending()).map((b) => [b.scope, b.spentUsd])).toEqual([['key=k1', ESTIMATE]]));
    await before.close();
    // The reloaded app: the same counters (memory kept across reloads, the primary's or Redis), a new guard.
    const after = await createLedger(budgets, { now: () => NOW, budgetState: state });
    await vi.waitFor(async () => expect((await (after.admission as BudgetGuard).spending()).map((b) => [b.scope, b.spentUsd, b.limitUsd])).toEqual([['key=k1', ESTIMATE, 0.2]]));
    await after.close();
  });

  it('names a scope once when the budget both matches and counts per the same tag', async () => {
    const ledger = await createLedger(config({ limits: [{ name: 'search-daily', period: 'daily', per: 'team', match: { team: 'research' }, hard_usd: 1 }] }), { now: () => NOW });
    const guard = ledger.admission as BudgetGuard;
    (await ledger.admission.admit(request('a'))).release();
    expect((await guard.spending()).map((b) => b.scope)).toEqual(['team=research']);
    await ledger.close();
  });

  describe('how much a request reserves: what its answer can cost at most', () => {
    // gpt-4o-mini: 1000 prompt tokens x 0.15 + 4000 completion tokens x 0.60 = 2550 micro-dollars.
    const LONG_ANSWER = 0.00255;
    const limited = (maxOutput: number | undefined) =>
      resolveConfig({
        deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1', max_output_tokens: maxOutput }],
        budgets: { default_completion_tokens: 500, limits: [{ name: 'g', period: 'daily', hard_usd: 0.005 }] },
        ledger: { path: ':memory:' },
      });
    const unbounded = (id: string): AdmissionRequest => ({ ...request(id), maxCompletionTokens: undefined });

    /** Twenty requests at once, each answered with 4000 completion tokens; the ledger's total spend. */
    async function burst(ledger: Awaited<ReturnType<typeof createLedger>>, asked: (id: string) => AdmissionRequest): Promise<{ admitted: number; spent: number }> {
      const tickets = await Promise.all(Array.from({ length: 20 }, (_, i) => Promise.resolve(ledger.admission.admit(asked(`r${i}`))).then((t) => ({ id: `r${i}`, t }), () => undefined)));
      const admitted = tickets.filter((x) => x !== undefined);
      for (const { id, t } of admitted) {
        ledger.observer.onAttempt(attempt({ requestId: id, deployment: 'oai', provider: 'openai-compatible', startedAt: NOW, usage: makeUsage({ prompt: 1000, completion: 4000 }) }));
        t.release();
      }
      await ledger.flush();
      const [total] = await ledger.store!.summarize({ from: 0, to: NOW + 1, groupBy: [] });
      return { admitted: admitted.length, spent: total?.costUsd ?? 0 };
    }

    it("reserves the deployment's max_output_tokens for a request without max_tokens, so answers longer than default_completion_tokens overshoot a hard limit by at most one reservation", async () => {
      const ledger = await createLedger(limited(4000), { now: () => NOW });
      const { admitted, spent } = await burst(ledger, unbounded);
      // Reserving default_completion_tokens (500: 450 micro-dollars) let twelve in, which spent $0.0306 of a $0.005 limit.
      expect(admitted).toBe(2);
      expect(spent).toBeCloseTo(2 * LONG_ANSWER, 12);
      expect(spent).toBeLessThanOrEqual(0.005 + LONG_ANSWER);
      await ledger.close();
    });

    it("reserves a request's own max_tokens, at most its deployment's max_output_tokens", async () => {
      const state = new MemoryBudgetState(() => NOW);
      const ledger = await createLedger(limited(4000), { now: () => NOW, budgetState: state });
      const own = await ledger.admission.admit({ ...request('own'), maxCompletionTokens: 1000 });
      const capped = await ledger.admission.admit({ ...request('capped'), maxCompletionTokens: 100_000 });
      // 1000 x 0.15 + 1000 x 0.60 and 1000 x 0.15 + 4000 x 0.60 micro-dollars.
      expect(state.peek('g|2025-06-15|*')?.reserved).toBeCloseTo(0.00075 + LONG_ANSWER, 12);
      own.release();
      capped.release();
      await ledger.close();
    });

    it('reserves the prompt of a request with a one-hour cache breakpoint at the one-hour write price, so a hard limit is passed by at most one reservation', async () => {
      const claude = resolveConfig({
        deployments: [{ id: 'sonnet', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: 'http://127.0.0.1:9', api_key: 'k' }],
        budgets: { limits: [{ name: 'g', period: 'daily', hard_usd: 0.05 }] },
        ledger: { path: ':memory:' },
      });
      const ledger = await createLedger(claude, { now: () => NOW });
      const asked = (id: string): AdmissionRequest => ({ ...request(id), candidates: ['sonnet'], estimatedPromptTokens: 750, maxCompletionTokens: 10, promptCacheTtl: '1h' });
      const tickets = await Promise.all(Array.from({ length: 60 }, (_, i) => Promise.resolve(ledger.admission.admit(asked(`h${i}`))).then((t) => ({ id: `h${i}`, t }), () => undefined)));
      const admitted = tickets.filter((x) => x !== undefined);
      for (const { id, t } of admitted) {
        // Each prompt written whole to the one-hour cache: 750 x $6 + 10 x $15 per million.
        ledger.observer.onAttempt(attempt({ requestId: id, deployment: 'sonnet', provider: 'anthropic', model: 'claude-sonnet-4-6', startedAt: NOW, usage: makeUsage({ prompt: 750, cachedWrite: 750, cachedWrite1h: 750, completion: 10 }) }));
        t.release();
      }
      await ledger.flush();
      const [total] = await ledger.store!.summarize({ from: 0, to: NOW + 1, groupBy: [] });
      // Reserved at the five-minute price ($3.75), 17 were let in and spent $0.079.
      expect(admitted).toHaveLength(11);
      expect(total!.costUsd).toBeLessThanOrEqual(0.05 + 0.00465 + 1e-12);
      await ledger.close();
    });

    it('reserves default_completion_tokens when neither the request nor its deployment names an output limit: each answer longer than that adds its excess to the overshoot', async () => {
      const ledger = await createLedger(limited(undefined), { now: () => NOW });
      const { admitted, spent } = await burst(ledger, unbounded);
      expect(admitted).toBe(12);
      expect(spent).toBeCloseTo(12 * LONG_ANSWER, 12);
      await ledger.close();
    });
  });
});
