import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { loadConfigFile } from '../config/load.js';
import { silentLogger } from '../core/logger.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { holderGateway, holderServerOptions } from './holder-gateway.js';
import { AppHolder } from './reload.js';

const KEY = 'sk-user-for-reload-cost';

/** `serve`'s config file: one deployment priced by the config at `input`/`output` USD per million tokens. */
function writeConfig(path: string, dir: string, sim: SimServer, input: number, output: number): void {
  writeFileSync(
    path,
    [
      'routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 1500 }',
      'deployments:',
      `  - { id: d0, provider: openai-compatible, model: gpt-4o-mini, endpoint: "${sim.url}/v1" }`,
      'groups: [{ name: chat, deployments: [d0] }]',
      `pricing: { deployments: { d0: { input: ${input}, output: ${output} } } }`,
      'api_keys:',
      `  - { id: user, key: ${KEY} }`,
      `ledger: { store: sqlite, path: "${join(dir, 'ledger.sqlite')}", spill_path: "${join(dir, 'spill.jsonl')}" }`,
    ].join('\n'),
  );
}

/**
 * A reload that changes prices while a request is in flight: the request is served, and booked, by the
 * app it started on, so the cost its client reads is that app's price, the one on its ledger row.
 */
describe('x-switchyard-cost-usd across a config reload', () => {
  let sim: SimServer;
  let dir: string;
  let file: string;
  let holder: AppHolder<App>;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'reload-cost', models: ['gpt-4o-mini'] });
    dir = mkdtempSync(join(tmpdir(), 'reload-cost-'));
    file = join(dir, 'switchyard.yaml');
    writeConfig(file, dir, sim, 1, 2);
    const build = (c: ReturnType<typeof loadConfigFile>): Promise<App> => createApp(c);
    holder = new AppHolder(await build(loadConfigFile(file, {})), { load: () => loadConfigFile(file, {}), build, logger: silentLogger, retireAfterMs: 5_000 });
    server = await startServer(holderGateway(holder), { ...holderServerOptions(holder), port: 0, host: '127.0.0.1', onClose: () => holder.close() });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  async function ledgerRows(requestId: string): Promise<Array<{ cost_usd: number | null }>> {
    await holder.current.flush();
    const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT cost_usd FROM usage_events WHERE request_id = ?').all(requestId) as Array<{ cost_usd: number | null }>;
    } finally {
      db.close();
    }
  }

  it('a stream reloaded under keeps the price of the app that served and booked it, in its trailer', async () => {
    sim.faults.add({ count: 1, inter_chunk_ms: 150 });
    const res = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Tell me a story.' }] }),
    });
    expect(res.statusCode).toBe(200);
    const chunks = res.body[Symbol.asyncIterator]();
    await chunks.next();
    // Ten times the prices, for requests from now on.
    writeConfig(file, dir, sim, 10, 20);
    await holder.reload();
    while (!(await chunks.next()).done);
    // Booked by the retired app, whose close (once the stream left it) writes its rows.
    const requestId = String(res.headers['x-request-id']);
    await expect.poll(async () => (await ledgerRows(requestId)).length, { timeout: 3_000 }).toBe(1);
    const rows = await ledgerRows(requestId);
    expect(rows[0]!.cost_usd).toBeGreaterThan(0);
    expect(Number(res.trailers['x-switchyard-cost-usd'])).toBeCloseTo(rows[0]!.cost_usd!, 12);
  });

  it('an error answer reloaded under keeps the price of the app that billed its attempt, in its cost header', async () => {
    // The upstream takes the request and answers too late: a timeout after the send, billed the prompt's estimate.
    sim.faults.add({ count: 1, latency_ms: 3_000 });
    // The first prices again (a test before may have raised them).
    writeConfig(file, dir, sim, 1, 2);
    await holder.reload();
    const before = sim.stats.total;
    const pending = request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Tell me a story.' }] }),
    });
    await expect.poll(() => sim.stats.total, { timeout: 2_000, interval: 5 }).toBe(before + 1);
    // Ten times the prices, for requests from now on; this one fails after, on the app it started on.
    writeConfig(file, dir, sim, 10, 20);
    await holder.reload();
    const res = await pending;
    await res.body.dump();
    expect(res.statusCode).toBe(504);
    const requestId = String(res.headers['x-request-id']);
    await expect.poll(async () => (await ledgerRows(requestId)).length, { timeout: 3_000 }).toBe(1);
    const rows = await ledgerRows(requestId);
    expect(rows[0]!.cost_usd).toBeGreaterThan(0);
    expect(Number(res.headers['x-switchyard-cost-usd'])).toBeCloseTo(rows[0]!.cost_usd!, 12);
  });
});
