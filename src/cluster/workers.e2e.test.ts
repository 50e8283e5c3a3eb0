import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { Client } from 'undici';
import { startOpenAISim } from '../sim/openai/index.js';
import { openSqlite } from '../ledger/store/sqlite-driver.js';
import { serveProcess, spawnSwitchyard, writeServeConfig } from '../testing/serve-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });

/** The upstream every spec here serves from, closed after the spec. */
async function startSim() {
  const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
  cleanup.push(() => sim.close());
  return sim;
}

/** One request on a connection of its own, so the primary hands it to the next worker. */
async function onNewConnection(url: string, path: string, method: 'GET' | 'POST' = 'POST'): Promise<{ status: number; text: string }> {
  const client = new Client(url);
  try {
    // An admin action takes no body (a reload with one is refused); a model route the chat request.
    const sent = method === 'POST' && !path.startsWith('/v1/switchyard/') ? body : undefined;
    const res = await client.request({ path, method, headers: { 'content-type': 'application/json' }, body: sent });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await client.close();
  }
}

/** A Response created on a connection of its own (so the primary hands it to the next worker): its status and id. */
async function createResponse(url: string, input: string, previous?: string): Promise<{ status: number; id: string | undefined }> {
  const client = new Client(url);
  try {
    const res = await client.request({ path: '/v1/responses', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chat', input, previous_response_id: previous }) });
    return { status: res.statusCode, id: ((await res.body.json()) as { id?: string }).id };
  } finally {
    await client.close();
  }
}

/** A config with one rate limit for everyone (per day: a minute's window could turn mid-spec). */
const LIMITED = ['ledger: { enabled: false }', 'rate_limits: [{ name: everyone, requests_per_day: 3 }]'];

/** Eight chats one after another, each on a new connection (so they alternate between the workers): their statuses. */
async function eightChats(url: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await onNewConnection(url, '/v1/chat/completions')).status);
  return statuses;
}

/** A loopback port nothing listens on (just now). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The sum of every sample of `name` in a Prometheus text exposition. */
function total(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})? (\S+)$/.exec(line);
    if (m?.[1] === name) sum += Number(m[2]);
  }
  return sum;
}

describe('switchyard serve --workers 2', () => {
  it('serves from both workers into one SQLite ledger (a row per request, no SQLITE_BUSY) and exits 0 on SIGTERM', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-'));
    const ledgerPath = join(dir, 'ledger.sqlite');
    const configPath = writeServeConfig(dir, sim.url, [
      // Flushing often makes both workers write the database at the same time.
      `ledger: { store: sqlite, path: "${ledgerPath}", flush_interval_ms: 20, spill_path: "${join(dir, 'spill.jsonl')}", journal_dir: "${join(dir, 'journal')}" }`,
    ]);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    const answers = await Promise.all(Array.from({ length: 40 }, () => onNewConnection(gw.url, '/v1/chat/completions')));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // Access lines leave in batches (~4 KB or 200 ms): wait for both workers' to arrive.
    const workers = (): number => new Set(gw.lines().filter((l) => l.msg === 'request').map((l) => l.worker)).size;
    await vi.waitFor(() => expect(workers()).toBe(2), { timeout: 2_000, interval: 50 });

    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    const text = JSON.stringify(gw.lines());
    expect(text).not.toMatch(/SQLITE_BUSY|database is locked/);
    const db = openSqlite(ledgerPath);
    const { rows } = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM usage_events');
    await db.close();
    expect(Number(rows[0]?.n)).toBe(40);
  }, 30_000);

  it('answers every scrape of GET /metrics for both workers: N requests read N whichever worker answers, and never go back', async () => {
    const sim = await startSim();
    const configPath = writeServeConfig(mkdtempSync(join(tmpdir(), 'workers-metrics-')), sim.url, ['ledger: { enabled: false }']);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    const scrape = async (): Promise<string> => {
      const res = await onNewConnection(gw.url, '/metrics', 'GET');
      expect(res.status).toBe(200);
      return res.text;
    };
    let sent = 0;
    for (const n of [7, 12]) {
      const answers = await Promise.all(Array.from({ length: n - sent }, () => onNewConnection(gw.url, '/v1/chat/completions')));
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      sent = n;
      // New connections alternate between the workers: successive scrapes are answered by each in turn.
      const scrapes = [await scrape(), await scrape(), await scrape(), await scrape()];
      expect(scrapes.map((t) => total(t, 'switchyard_requests_total'))).toEqual([n, n, n, n]);
      expect(scrapes.map((t) => total(t, 'switchyard_request_duration_seconds_count'))).toEqual([n, n, n, n]);
      expect(scrapes.map((t) => total(t, 'switchyard_requests_in_flight'))).toEqual([0, 0, 0, 0]);
      expect(scrapes.map((t) => total(t, 'switchyard_metrics_workers'))).toEqual([2, 2, 2, 2]);
    }
    // The primary's own process is in the scrape too: its event-loop lag apart, once its monitor (started with
    // the first scrape, sampling every 10 ms, read and reset by each) has measured since the last scrape.
    await vi.waitFor(async () => expect(await scrape()).toMatch(/^switchyard_primary_eventloop_lag_p99_seconds \d/m), { timeout: 3_000, interval: 50 });
    // Both workers served requests: the sums above hold counts of each.
    const workers = (): number => new Set(gw.lines().filter((l) => l.msg === 'request').map((l) => l.worker)).size;
    await vi.waitFor(() => expect(workers()).toBe(2), { timeout: 2_000, interval: 50 });
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('answers GET /v1/switchyard/status and the dashboard feed for both workers: N requests read N whichever worker answers', async () => {
    const sim = await startSim();
    const configPath = writeServeConfig(mkdtempSync(join(tmpdir(), 'workers-status-')), sim.url, ['ledger: { enabled: false }']);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    for (let i = 0; i < 6; i += 1) expect((await onNewConnection(gw.url, '/v1/chat/completions')).status).toBe(200);
    // New connections alternate between the workers: each answers in turn.
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push(JSON.parse((await onNewConnection(gw.url, '/v1/switchyard/status', 'GET')).text) as Record<string, unknown>);
    expect(statuses.map((s) => (s as { deployments: Array<{ requests: number; inFlight: number }> }).deployments.map((d) => [d.requests, d.inFlight]))).toEqual(statuses.map(() => [[6, 0]]));
    expect(statuses.map((s) => s.workers)).toEqual(statuses.map(() => ({ answered: 2, expected: 2 })));
    // The dashboard's first frame, on either worker, shows the same.
    for (let i = 0; i < 2; i += 1) {
      const client = new Client(gw.url);
      const res = await client.request({ path: '/dashboard/events', method: 'GET' });
      let text = '';
      for await (const chunk of res.body) if ((text += String(chunk)).includes('\n\n')) break;
      await client.destroy();
      const frame = JSON.parse(text.split('data: ')[1] as string) as { deployments: Array<{ requests: number }>; workers: unknown };
      expect([frame.deployments.map((d) => d.requests), frame.workers]).toEqual([[6], { answered: 2, expected: 2 }]);
    }
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('continues a stored Response on either worker: every one lives in the SQLite ledger, not in the memory of one worker', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-responses-'));
    const ledgerPath = join(dir, 'ledger.sqlite');
    const configPath = writeServeConfig(dir, sim.url, [
      `ledger: { store: sqlite, path: "${ledgerPath}", spill_path: "${join(dir, 'spill.jsonl')}", journal_dir: "${join(dir, 'journal')}" }`,
      'responses: { store: { enabled: true } }',
    ]);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    const first = await createResponse(gw.url, 'Remember the number 7');
    expect(first.status).toBe(200);
    // Each continuation on a new connection: they alternate between the workers.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await createResponse(gw.url, 'What was it?', first.id)).status);
    expect(statuses).toEqual(statuses.map(() => 200));
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    const db = openSqlite(ledgerPath);
    const { rows } = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM responses');
    await db.close();
    // On disk, so a restart finds them too.
    expect(Number(rows[0]?.n)).toBe(9);
  }, 30_000);

  it('a breaker opened through one worker is adopted by the other through the primary\'s push, long before its own sync', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-breaker-'));
    const configPath = writeServeConfig(dir, sim.url, [
      'ledger: { enabled: false }',
      // A sync interval past the spec's timeout: only the primary's push can make the other worker adopt the breaker.
      'routing: { max_attempts_per_deployment: 1, state_sync_ms: 60000, breaker: { consecutive_failures: 2, cool_off_ms: 60000 } }',
    ]);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    sim.faults.add({ status: 500, count: 2 });
    // One connection: both failures reach the same worker.
    const one = new Client(gw.url);
    cleanup.push(() => one.close());
    for (let i = 0; i < 2; i += 1) {
      const res = await one.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.body.text();
    }
    // Access lines leave in batches: wait for the failures' to name the worker that opened the breaker.
    const failedOn = (): Set<unknown> => new Set(gw.lines().filter((l) => l.msg === 'request' && Number(l.status) >= 500).map((l) => l.worker));
    await vi.waitFor(() => expect(failedOn().size).toBe(1), { timeout: 10_000, interval: 50 });
    const opener = [...failedOn()][0];
    // Waited for, not timed: a far bound (well inside the 60 s sync) that only a push can meet on a loaded machine.
    const adoptedBy = (): unknown[] => gw.lines().filter((l) => l.msg === 'breaker state adopted from the shared store' && l.state === 'open').map((l) => l.worker);
    await vi.waitFor(() => expect(adoptedBy().filter((w) => w !== opener)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    // New connections alternate between the workers: every one of them sees the breaker open.
    for (let i = 0; i < 4; i += 1) {
      const status = await onNewConnection(gw.url, '/v1/switchyard/status', 'GET');
      const breaker = (JSON.parse(status.text) as { deployments: Array<{ breaker: { state: string } }> }).deployments[0]?.breaker.state;
      expect(breaker).toBe('open');
    }
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('a virtual key created or revoked through one worker is in force on the other before the write is answered, not at its next poll', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-keys-'));
    const configPath = writeServeConfig(dir, sim.url, [
      'api_keys: [{ id: ops, key: sk-ops-admin-key-0123456789, role: admin }]',
      `ledger: { store: sqlite, path: "${join(dir, 'ledger.sqlite')}", journal: false, spill_path: "${join(dir, 'spill.jsonl')}" }`,
      // The slowest poll: without the relay, the other worker learns of a change up to a second later.
      "keys: { hmac_secret: 'an-hmac-secret-of-at-least-32-characters', refresh_ms: 1000 }",
    ]);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    const admin = async (path: string, payload?: unknown): Promise<Record<string, unknown>> => {
      const client = new Client(gw.url);
      try {
        const res = await client.request({ path, method: 'POST', headers: { authorization: 'Bearer sk-ops-admin-key-0123456789', 'content-type': 'application/json' }, body: payload === undefined ? undefined : JSON.stringify(payload) });
        return (await res.body.json()) as Record<string, unknown>;
      } finally {
        await client.close();
      }
    };
    // Eight chats at once, each on a connection of its own: both workers answer some.
    const eightAsKey = (key: string): Promise<number[]> =>
      Promise.all(
        Array.from({ length: 8 }, async () => {
          const client = new Client(gw.url);
          try {
            const res = await client.request({ path: '/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
            await res.body.text();
            return res.statusCode;
          } finally {
            await client.close();
          }
        }),
      );
    const created = await admin('/v1/switchyard/keys', { owner: 'alice' });
    const key = created.key as string;
    expect(await eightAsKey(key)).toEqual(Array(8).fill(200));
    expect(await admin(`/v1/switchyard/keys/${created.id as string}/revoke`)).toMatchObject({ status: 'revoked' });
    expect(await eightAsKey(key)).toEqual(Array(8).fill(401));
    const workers = (): number => new Set(gw.lines().filter((l) => l.msg === 'request').map((l) => l.worker)).size;
    await vi.waitFor(() => expect(workers()).toBe(2), { timeout: 2_000, interval: 50 });
  }, 30_000);

  it('enforces one rate limit for the process group, not one per worker', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-limits-'));
    const configPath = writeServeConfig(dir, sim.url, LIMITED);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    expect(await eightChats(gw.url)).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('enforces one rate limit for the process group after a reload from Redis to memory too', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-limits-reload-'));
    // Started on Redis (none listens there: its counters fail open), so no worker began with memory.
    writeServeConfig(dir, sim.url, ['ledger: { enabled: false }', 'state: { store: redis, redis_url: "redis://127.0.0.1:1" }']);
    const gw = await serveProcess(join(dir, 'switchyard.yaml'), { workers: 2, cleanup });
    writeServeConfig(dir, sim.url, LIMITED);
    expect((await onNewConnection(gw.url, '/v1/switchyard/reload')).status).toBe(200);
    await vi.waitFor(() => expect(gw.lines().filter((l) => l.msg === 'config reloaded')).toHaveLength(2), { timeout: 5_000, interval: 50 });
    expect(await eightChats(gw.url)).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it("keeps a deployment's quota for the pod: past rpm over both workers, the next request goes to the other deployment", async () => {
    const sim = await startSim();
    const configPath = join(mkdtempSync(join(tmpdir(), 'workers-quota-')), 'switchyard.yaml');
    writeFileSync(
      configPath,
      [
        'deployments:',
        `  - { id: oai, provider: openai-compatible, model: gpt-4o-mini, endpoint: "${sim.url}/v1", quota: { rpm: 4 } }`,
        `  - { id: spare, provider: openai-compatible, model: gpt-4o-mini, endpoint: "${sim.url}/v1" }`,
        'groups:',
        '  - { name: chat, strategy: priority, deployments: [oai, spare] }',
        'logging: { level: info }',
        'ledger: { enabled: false }',
      ].join('\n'),
    );
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    const servedBy = async (): Promise<string | undefined> => {
      const client = new Client(gw.url);
      try {
        const res = await client.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.body.text();
        expect(res.statusCode).toBe(200);
        return res.headers['x-switchyard-deployment'] as string | undefined;
      } finally {
        await client.close();
      }
    };
    // New connections alternate between the workers: two requests each, the quota's four.
    const first = [];
    for (let i = 0; i < 4; i += 1) first.push(await servedBy());
    expect(first).toEqual(['oai', 'oai', 'oai', 'oai']);
    // Each worker learns the other's use within about a second, through the primary.
    await new Promise((r) => setTimeout(r, 1_500));
    expect([await servedBy(), await servedBy()]).toEqual(['spare', 'spare']);
    const status = JSON.parse((await onNewConnection(gw.url, '/v1/switchyard/status', 'GET')).text) as { deployments: Array<{ id: string; requests: number; errors: object; quota?: { lastMinuteRequests: number; headroom: number } }> };
    expect(status.deployments.map((d) => [d.id, d.requests, d.errors])).toEqual([
      ['oai', 4, {}],
      ['spare', 2, {}],
    ]);
    expect(status.deployments[0]?.quota).toMatchObject({ lastMinuteRequests: 4, headroom: 0 });
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('reloads every worker when one is asked through POST /v1/switchyard/reload', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-reload-'));
    const ledgerPath = join(dir, 'ledger.sqlite');
    const ledger = [`ledger: { store: sqlite, path: "${ledgerPath}", spill_path: "${join(dir, 'spill.jsonl')}", journal_dir: "${join(dir, 'journal')}" }`];
    const configPath = writeServeConfig(dir, sim.url, ledger);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    writeServeConfig(dir, sim.url, ledger, 'renamed');
    const reloaded = await onNewConnection(gw.url, '/v1/switchyard/reload');
    expect(reloaded.status).toBe(200);
    // Its audit row reached the database: the app that took the request was retired (its handle closed) meanwhile.
    const db = openSqlite(ledgerPath);
    cleanup.push(() => db.close());
    await vi.waitFor(async () => expect((await db.query<{ action: string }>('SELECT action FROM audit_log')).rows.map((r) => r.action)).toContain('config.reloaded'), { timeout: 2_000, interval: 50 });
    expect(JSON.stringify(gw.lines())).not.toContain('audit append failed');
    // New connections alternate between the workers: each must serve the new group soon.
    await vi.waitFor(
      async () => {
        const seen = await Promise.all(Array.from({ length: 4 }, () => onNewConnection(gw.url, '/v1/models', 'GET')));
        expect(seen.map((m) => (JSON.parse(m.text) as { data: Array<{ id: string }> }).data.map((d) => d.id).includes('renamed'))).toEqual([true, true, true, true]);
      },
      { timeout: 3_000, interval: 100 },
    );
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('ends every worker on the newest file after two admin reloads back to back, each answer saying what every worker applied', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-reloads-'));
    const noLedger = ['ledger: { enabled: false }'];
    const configPath = writeServeConfig(dir, sim.url, noLedger, 'group-a');
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    /** The groups each of four new connections (alternating between the workers) is served. */
    const groupsSeen = async (): Promise<string[][]> => {
      const seen = await Promise.all(Array.from({ length: 4 }, () => onNewConnection(gw.url, '/v1/models', 'GET')));
      return seen.map((m) => (JSON.parse(m.text) as { data: Array<{ id: string }> }).data.map((d) => d.id).filter((id) => id.startsWith('group-')));
    };
    type Answer = { changes: { added: string[]; removed: string[] }; version: string; partial?: true; workers: Array<{ reloaded: boolean; version?: string }> };
    /** Writes the file with group `group`, reloads through whichever worker takes the connection, and checks it answered for both. */
    const reloadTo = async (group: string): Promise<Answer> => {
      writeServeConfig(dir, sim.url, noLedger, group);
      const version = createHash('sha256').update(readFileSync(configPath)).digest('hex').slice(0, 12);
      const res = await onNewConnection(gw.url, '/v1/switchyard/reload');
      expect(res.status).toBe(200);
      const said = JSON.parse(res.text) as Answer;
      expect(said.partial).toBeUndefined();
      expect([said.version, ...said.workers.map((w) => w.reloaded && w.version)]).toEqual([version, version, version]);
      return said;
    };
    await reloadTo('group-b');
    // The second reload comes at once (its connection likely to the other worker), read after the first.
    expect((await reloadTo('group-c')).changes).toMatchObject({ added: ['groups.group-c'], removed: ['groups.group-b'] });
    // Both answers confirmed every worker applied the file: no waiting.
    expect(await groupsSeen()).toEqual([['group-c'], ['group-c'], ['group-c'], ['group-c']]);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('a SIGHUP while its workers start reloads none of them to death (one without its handler yet would end)', async () => {
    const sim = await startSim();
    const configPath = writeServeConfig(mkdtempSync(join(tmpdir(), 'workers-hup-')), sim.url, ['ledger: { enabled: false }']);
    const gw = await serveProcess(configPath, {
      workers: 2,
      cleanup,
      onLine: (line, child) => {
        if (line.msg === 'switchyard primary started') child.kill('SIGHUP');
      },
    });
    expect(gw.lines().some((l) => l.msg === 'switchyard primary started')).toBe(true);
    expect(gw.lines().filter((l) => l.msg === 'worker exited unexpectedly: restarting it')).toEqual([]);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('refuses a worker count that is not a whole number', async () => {
    const res = spawnSwitchyard(['serve', '-c', 'x.yaml', '--workers', 'two']);
    expect(await new Promise((r) => res.once('exit', r))).toBe(2);
  }, 15_000);

  /** `serve --workers 2` on `port` until it exits by itself: its exit code and everything it wrote. */
  async function serveUntilExit(configPath: string, port: string): Promise<{ code: unknown; output: string }> {
    const child = spawnSwitchyard(['serve', '-c', configPath, '--port', port, '--host', '127.0.0.1', '--workers', '2'], 'pipe');
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    return { code, output };
  }

  it('exits 1 with one message when the port is taken, before forking workers that would crash and restart', async () => {
    const sim = await startSim();
    const configPath = writeServeConfig(mkdtempSync(join(tmpdir(), 'workers-bind-')), sim.url, ['ledger: { enabled: false }']);
    const taken = new URL(sim.url).port;
    const { code, output } = await serveUntilExit(configPath, taken);
    expect(code).toBe(1);
    expect(output).toContain(`switchyard serve: cannot listen on 127.0.0.1:${taken}: the port is in use`);
    expect(output).not.toContain('worker exited unexpectedly');
  }, 20_000);

  it('stops, restarting no worker, when the workers refuse a setting their app needs (a ledger folder under a file)', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'workers-ledger-'));
    writeFileSync(join(dir, 'a-file'), 'not a folder');
    const configPath = writeServeConfig(dir, sim.url, [`ledger: { enabled: true, store: sqlite, path: "${join(dir, 'a-file', 'ledger.sqlite')}" }`]);
    const { code, output } = await serveUntilExit(configPath, String(await freePort()));
    expect(code).toBe(1);
    expect(output).toContain(`${configPath}: invalid config`);
    expect(output).toContain('ledger.path: cannot use');
    expect(output).toContain('a worker cannot start (its port, or a setting it reported): stopping');
    expect(output).not.toContain('worker exited unexpectedly');
  }, 30_000);

  it('stops with one message, restarting no worker, when the port is taken after its check but before the workers listen', async () => {
    const sim = await startSim();
    const configPath = writeServeConfig(mkdtempSync(join(tmpdir(), 'workers-race-')), sim.url, ['ledger: { enabled: false }']);
    const port = await freePort();
    const child = spawnSwitchyard(['serve', '-c', configPath, '--port', String(port), '--host', '127.0.0.1', '--workers', '2'], 'pipe');
    const squatter = createServer();
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
      squatter.close();
    });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // The primary has checked the port and forked; its workers are still loading.
      if (output.includes('switchyard primary started') && !squatter.listening) squatter.listen(port, '127.0.0.1');
    });
    expect(await new Promise((r) => child.once('exit', r))).toBe(1);
    expect(output).toContain(`switchyard serve: cannot listen on 127.0.0.1:${port}: the port is in use`);
    expect(output).toContain('a worker cannot start (its port, or a setting it reported): stopping');
    expect(output).not.toContain('worker exited unexpectedly');
  }, 30_000);
});
