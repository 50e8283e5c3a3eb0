import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { startAzureSim } from '../sim/azure/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';

/** A primary (gpt-4o) and a secondary (gpt-4o-mini) simulator, the server before them with an SQLite ledger, one attempt each. */
interface Pair {
  primary: SimServer;
  secondary: SimServer;
  app: App;
  server: RunningServer;
  ledgerPath: string;
  close(): Promise<void>;
}

async function startPair(prefix: string, groups: ReadonlyArray<{ name: string; stream_resume?: boolean }>): Promise<Pair> {
  const primary = await startOpenAISim({ name: 'primary', models: ['gpt-4o'] });
  const secondary = await startOpenAISim({ name: 'secondary', models: ['gpt-4o-mini'] });
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ledgerPath = join(dir, 'ledger.sqlite');
  const config = resolveConfig({
    routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 300, ttft_timeout_ms: 300 },
    deployments: [
      { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o', endpoint: `${primary.url}/v1` },
      { id: 'secondary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${secondary.url}/v1` },
    ],
    groups: groups.map((g) => ({ strategy: 'priority' as const, deployments: ['primary', 'secondary'], ...g })),
    ledger: { path: ledgerPath, spill_path: join(dir, 'spill.jsonl') },
  });
  const app = await createApp(config);
  const server = await startServer(app.gateway, { ...app.handlerOptions, port: 0 });
  return {
    primary,
    secondary,
    app,
    server,
    ledgerPath,
    async close() {
      await server.shutdown(100);
      await app.close();
      await primary.close();
      await secondary.close();
    },
  };
}

/**
 * `x-switchyard-cost-usd` is the request's cost: every attempt the ledger billed for it, not only the
 * one that answered. A primary that fails after it had the request (a timeout, a paid malformed
 * answer) and a secondary that answers: the header (a trailer on streams) equals the ledger's rows.
 */
describe('x-switchyard-cost-usd against the ledger', () => {
  let primary: SimServer;
  let secondary: SimServer;
  let app: App;
  let server: RunningServer;
  let ledgerPath: string;

  let pair: Pair;

  beforeAll(async () => {
    pair = await startPair('request-cost-', [{ name: 'chat' }, { name: 'resumable', stream_resume: true }]);
    ({ primary, secondary, app, server, ledgerPath } = pair);
  });

  afterAll(() => pair.close());

  afterEach(() => {
    primary.faults.clear();
    secondary.faults.clear();
  });

  /** The request's ledger rows (shadow copies aside): their count and summed cost. */
  async function ledgerCost(requestId: string): Promise<{ rows: number; usd: number }> {
    await app.flush();
    const db = new Database(ledgerPath, { readonly: true });
    try {
      const rows = db.prepare("SELECT cost_usd FROM usage_events WHERE request_id = ? AND role != 'shadow'").all(requestId) as Array<{ cost_usd: number | null }>;
      return { rows: rows.length, usd: rows.reduce((sum, r) => sum + (r.cost_usd ?? Number.NaN), 0) };
    } finally {
      db.close();
    }
  }

  interface Answered {
    id: string;
    cost: string | undefined;
    /** `x-switchyard-usage-estimated` (the header, or a stream's trailer). */
    estimated: string | undefined;
    deployment: unknown;
    attempts: unknown;
    body: string;
  }

  async function chat(stream: boolean, model = 'chat'): Promise<Answered> {
    const res = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Tell me something about routers, please.' }], stream, ...(stream ? { stream_options: { include_usage: true } } : {}) }),
    });
    expect(res.statusCode).toBe(200);
    const body = await res.body.text();
    const said = stream ? res.trailers : res.headers;
    const cost = said['x-switchyard-cost-usd'];
    const estimated = said['x-switchyard-usage-estimated'];
    return {
      id: String(res.headers['x-request-id']),
      cost: cost === undefined ? undefined : String(cost),
      estimated: estimated === undefined ? undefined : String(estimated),
      deployment: res.headers['x-switchyard-deployment'],
      attempts: res.headers['x-switchyard-attempts'],
      body,
    };
  }

  /** How many of the request's ledger rows hold the gateway's estimate rather than the upstream's count. */
  async function estimatedRows(requestId: string): Promise<number> {
    await app.flush();
    const db = new Database(ledgerPath, { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE request_id = ? AND usage_estimated = 1').get(requestId) as { n: number }).n;
    } finally {
      db.close();
    }
  }

  /** The error event a chat stream cut after its first content ends with (and no `[DONE]`). */
  const CUT_STREAM_END = /data: \{"error":\{"message":"Upstream [a-z0-9-]+ \(openai-compatible\)'s stream ended before it finished: the upstream (closed|reset) the connection after \d+ bytes of its body\.","type":"server_error","param":null,"code":null\}\}\n\n$/;

  for (const stream of [false, true]) {
    const kind = stream ? 'stream trailer' : 'JSON header';
    it(`${kind}: a primary that times out after it had the request is in the cost, as the ledger bills it`, async () => {
      primary.faults.add({ latency_ms: 1_000, count: 1 });
      const answered = await chat(stream);
      expect([answered.deployment, answered.attempts]).toEqual(['secondary', '2']);
      const ledger = await ledgerCost(answered.id);
      expect(ledger.rows).toBe(2);
      expect(Number(answered.cost)).toBeCloseTo(ledger.usd, 10);
    });

    // OpenAI's malformed body reports no usage: its row costs nothing, and so does it in the header.
    it(`${kind}: a primary's malformed answer costs what its ledger row does`, async () => {
      primary.faults.add({ malformed: true, count: 1 });
      const answered = await chat(stream);
      expect(answered.deployment).toBe('secondary');
      const ledger = await ledgerCost(answered.id);
      expect(Number(answered.cost)).toBeCloseTo(ledger.usd, 10);
    });

    it(`${kind}: an answer on the first try costs its one ledger row`, async () => {
      const answered = await chat(stream);
      const ledger = await ledgerCost(answered.id);
      expect([answered.deployment, ledger.rows]).toEqual(['primary', 1]);
      expect(Number(answered.cost)).toBeCloseTo(ledger.usd, 10);
    });
  }

  it('stream trailer: a stream cut after its first content, which reported no usage, costs its estimated ledger row, flagged estimated', async () => {
    primary.faults.add({ cut_after_chunks: 3, count: 1 });
    const broken = await chat(true);
    expect(broken.body).toMatch(CUT_STREAM_END);
    expect(broken.body).not.toContain('[DONE]');
    const ledger = await ledgerCost(broken.id);
    expect([ledger.rows, await estimatedRows(broken.id)]).toEqual([1, 1]);
    expect(ledger.usd).toBeGreaterThan(0);
    expect(Number(broken.cost)).toBeCloseTo(ledger.usd, 10);
    expect(broken.estimated).toBe('true');
  });

  it('stream trailer: a resumed stream whose continuation fails to open costs the broken attempt and the continuation billed', async () => {
    primary.faults.add({ cut_after_chunks: 3, count: 1 });
    secondary.faults.add({ latency_ms: 1_000, count: 1 });
    const broken = await chat(true, 'resumable');
    expect(broken.body).toMatch(CUT_STREAM_END);
    expect(broken.body).not.toContain('[DONE]');
    const ledger = await ledgerCost(broken.id);
    expect([ledger.rows, await estimatedRows(broken.id)]).toEqual([2, 2]);
    expect(Number(broken.cost)).toBeCloseTo(ledger.usd, 10);
    expect(broken.estimated).toBe('true');
  });

  it('stream trailer: a resumed stream whose continuation breaks too costs both attempts, each at its own price', async () => {
    primary.faults.add({ cut_after_chunks: 3, count: 1 });
    secondary.faults.add({ cut_after_chunks: 3, count: 1 });
    const broken = await chat(true, 'resumable');
    // The primary was cut after "Hello from gpt-4o! "; the continuation's words reached the client before it broke too.
    expect(broken.body).toContain('"delta":{"content":"You "}');
    expect(broken.body).toMatch(CUT_STREAM_END);
    const ledger = await ledgerCost(broken.id);
    expect([ledger.rows, await estimatedRows(broken.id)]).toEqual([2, 2]);
    expect(Number(broken.cost)).toBeCloseTo(ledger.usd, 10);
    expect(broken.estimated).toBe('true');
  });

  it('stream trailer: a cut stream counts the attempts billed before it as well', async () => {
    primary.faults.add({ latency_ms: 1_000, count: 1 });
    secondary.faults.add({ cut_after_chunks: 3, count: 1 });
    const broken = await chat(true);
    expect([broken.deployment, broken.attempts]).toEqual(['secondary', '2']);
    expect(broken.body).toMatch(CUT_STREAM_END);
    const ledger = await ledgerCost(broken.id);
    expect(ledger.rows).toBe(2);
    expect(Number(broken.cost)).toBeCloseTo(ledger.usd, 10);
    expect(broken.estimated).toBe('true');
  });
});

describe('x-switchyard-cost-usd against the ledger, after a paid refusal', () => {
  it("counts an answer the upstream filtered (paid, billed) before the group's content_filtered fallback answered", async () => {
    const azure = await startAzureSim({ apiKey: 'az-key' });
    const openai = await startOpenAISim({ name: 'lax', models: ['gpt-4o-mini'] });
    const dir = mkdtempSync(join(tmpdir(), 'request-cost-filter-'));
    const ledgerPath = join(dir, 'ledger.sqlite');
    const app = await createApp(
      resolveConfig({
        deployments: [
          { id: 'strict', provider: 'azure-openai', model: 'gpt-4o', endpoint: azure.url, api_key: 'az-key' },
          { id: 'lax', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1` },
        ],
        groups: [{ name: 'chat', deployments: ['strict'], fallbacks: { content_filtered: ['lax'] } }],
        ledger: { path: ledgerPath, spill_path: join(dir, 'spill.jsonl') },
      }),
    );
    const server = await startServer(app.gateway, { ...app.handlerOptions, port: 0 });
    try {
      azure.faults.add({ error: 'content_filter_output', count: 1 });
      const res = await request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Tell me a long story, please.' }] }),
      });
      await res.body.text();
      expect([res.statusCode, res.headers['x-switchyard-deployment']]).toEqual([200, 'lax']);
      await app.flush();
      const db = new Database(ledgerPath, { readonly: true });
      const rows = db.prepare('SELECT deployment, cost_usd FROM usage_events WHERE request_id = ? ORDER BY attempt').all(String(res.headers['x-request-id'])) as Array<{ deployment: string; cost_usd: number }>;
      db.close();
      expect(rows.map((r) => r.deployment)).toEqual(['strict', 'lax']);
      expect(rows[0]?.cost_usd).toBeGreaterThan(0);
      expect(Number(res.headers['x-switchyard-cost-usd'])).toBeCloseTo(rows.reduce((sum, r) => sum + r.cost_usd, 0), 10);
    } finally {
      await server.shutdown(100);
      await app.close();
      await azure.close();
      await openai.close();
    }
  });
});

/**
 * An error answer's cost: a request whose attempts all failed, some after the upstream had the request,
 * was billed for them (estimated rows); its error answer says what, as an answer's header would.
 */
describe('x-switchyard-cost-usd on error answers, against the ledger', () => {
  let primary: SimServer;
  let secondary: SimServer;
  let app: App;
  let server: RunningServer;
  let ledgerPath: string;

  let pair: Pair;

  beforeAll(async () => {
    pair = await startPair('request-cost-errors-', [{ name: 'chat' }]);
    ({ primary, secondary, app, server, ledgerPath } = pair);
  });

  afterAll(() => pair.close());

  afterEach(() => {
    primary.faults.clear();
    secondary.faults.clear();
  });

  async function rowsOf(requestId: string): Promise<{ rows: number; usd: number; estimated: number }> {
    await app.flush();
    const db = new Database(ledgerPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT cost_usd, usage_estimated FROM usage_events WHERE request_id = ?').all(requestId) as Array<{ cost_usd: number | null; usage_estimated: number }>;
      return { rows: rows.length, usd: rows.reduce((sum, r) => sum + (r.cost_usd ?? Number.NaN), 0), estimated: rows.filter((r) => r.usage_estimated === 1).length };
    } finally {
      db.close();
    }
  }

  for (const stream of [false, true]) {
    it(`${stream ? 'stream' : 'JSON'}: a request whose every attempt timed out after its request was sent answers its 504 with the cost its ledger rows bill, estimated`, async () => {
      primary.faults.add({ latency_ms: 1_000, count: 1 });
      secondary.faults.add({ latency_ms: 1_000, count: 1 });
      const res = await request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Tell me something about routers, please.' }], stream }),
      });
      await res.body.text();
      expect(res.statusCode).toBe(504);
      const ledger = await rowsOf(String(res.headers['x-request-id']));
      expect([ledger.rows, ledger.estimated]).toEqual([2, 2]);
      expect(ledger.usd).toBeGreaterThan(0);
      expect(Number(res.headers['x-switchyard-cost-usd'])).toBeCloseTo(ledger.usd, 10);
      expect(res.headers['x-switchyard-usage-estimated']).toBe('true');
    });
  }

  it('JSON: a request refused by every upstream before anything was billed (a 500 each) answers no cost, as its rows bill none', async () => {
    primary.faults.add({ status: 500, count: 1 });
    secondary.faults.add({ status: 500, count: 1 });
    const res = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await res.body.text();
    expect(res.statusCode).toBe(502);
    const ledger = await rowsOf(String(res.headers['x-request-id']));
    expect(ledger).toEqual({ rows: 2, usd: 0, estimated: 0 });
    expect(res.headers['x-switchyard-cost-usd']).toBeUndefined();
  });

});
