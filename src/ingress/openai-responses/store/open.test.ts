import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { createApp, type App } from '../../../app.js';
import { startServer, type RunningServer } from '../../../adapters/node/server.js';
import { loadConfigFile, resolveConfig } from '../../../config/load.js';
import { silentLogger } from '../../../core/logger.js';
import { SqlLedgerStore } from '../../../ledger/store/sql-store.js';
import { MemoryConversationStore } from './memory.js';
import { openSqlite } from '../../../ledger/store/sqlite-driver.js';
import { holderGateway, holderServerOptions } from '../../../ops/holder-gateway.js';
import { AppHolder } from '../../../ops/reload.js';
import { startOpenAISim } from '../../../sim/openai/index.js';
import type { SimServer } from '../../../sim/server.js';

const HOUR = 3_600_000;

describe('stored responses in an app with a SQLite ledger', () => {
  let sim: SimServer;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-test' });
    const dir = mkdtempSync(join(tmpdir(), 'responses-store-'));
    const config = resolveConfig(
      {
        deployments: [{ id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: 'sk-test' }],
        groups: [{ name: 'chat', deployments: ['openai'] }],
        ledger: { store: 'sqlite', path: join(dir, 'ledger.sqlite'), journal: false, spill_path: join(dir, 'spill.jsonl') },
        responses: { store: { enabled: true, retention_hours: 1 } },
      },
      {},
    );
    app = await createApp(config);
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, onClose: () => app.close() });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  it('keeps the conversation in the ledger database and continues it from there', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const first = await client.responses.create({ model: 'chat', input: 'Remember the number 7' });
    const store = app.ledger.store;
    if (!(store instanceof SqlLedgerStore)) throw new Error('expected a SQL ledger');
    const { rows } = await store.sql.query<{ id: string; owner: string; messages: string }>(`SELECT id, owner, messages FROM responses`);
    expect(rows.map((r) => r.id)).toEqual([first.id]);
    expect(JSON.parse(rows[0]?.messages ?? '[]')).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Remember the number 7' }] },
      { role: 'assistant', content: [{ type: 'text', text: first.output_text }] },
    ]);
    const second = await client.responses.create({ model: 'chat', previous_response_id: first.id, input: 'What was it?' });
    expect(second.output_text).toContain('You said: What was it?');
    const sent = JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as { messages: Array<{ role: string }> };
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });
});

describe('stored responses under serve (an AppHolder that reloads its config file)', () => {
  let sim: SimServer;
  let dir: string;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-test' });
  });

  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  afterAll(async () => {
    await sim.close();
  });

  /** `dir/switchyard.yaml` with a SQLite ledger at `dir/<ledger>` (none for `''`) and stored responses kept `hours`, at most `max` in memory. */
  function writeConfig(ledger: string, hours: number, max = 100): string {
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(
      file,
      [
        'deployments:',
        `  - { id: openai, provider: openai-compatible, model: gpt-4o-mini, endpoint: "${sim.url}/v1", api_key: sk-test }`,
        'groups: [{ name: chat, deployments: [openai] }]',
        ledger === '' ? 'ledger: { enabled: false }' : `ledger: { store: sqlite, path: "${join(dir, ledger)}", journal: false, spill_path: "${join(dir, 'spill.jsonl')}" }`,
        `responses: { store: { enabled: true, retention_hours: ${hours}, max_memory_responses: ${max} } }`,
      ].join('\n'),
    );
    return file;
  }

  /** What `serve` runs: an AppHolder behind the node server, through holderGateway and holderServerOptions, with serve's memory store. */
  async function serveFile(file: string, memoryConversations = new MemoryConversationStore({ retentionMs: HOUR, maxEntries: 100, maxBytes: 1_000_000 })): Promise<{ holder: AppHolder<App>; client: OpenAI }> {
    const build = (c: ReturnType<typeof loadConfigFile>): Promise<App> => createApp(c, { memoryConversations });
    const holder = new AppHolder(await build(loadConfigFile(file, {})), { load: () => loadConfigFile(file, {}), build, logger: silentLogger, retireAfterMs: 5_000 });
    const server = await startServer(holderGateway(holder), { ...holderServerOptions(holder), port: 0, host: '127.0.0.1', onClose: () => holder.close() });
    cleanup.push(() => server.shutdown(100));
    return { holder, client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 }) };
  }

  /** The `responses` rows of the SQLite database `dir/<ledger>`, read on a connection of the test's own. */
  async function rows(ledger: string): Promise<Array<{ id: string; hours: number }>> {
    const db = openSqlite(join(dir, ledger));
    try {
      const { rows } = await db.query<{ id: string; created_at: number; expires_at: number }>('SELECT id, created_at, expires_at FROM responses ORDER BY created_at');
      return rows.map((r) => ({ id: r.id, hours: (Number(r.expires_at) - Number(r.created_at)) / HOUR }));
    } finally {
      await db.close();
    }
  }

  it('keeps them in the ledger database, continues them after a reload, and stores later ones under the new retention', async () => {
    dir = mkdtempSync(join(tmpdir(), 'responses-serve-'));
    const { holder, client } = await serveFile(writeConfig('ledger.sqlite', 1));
    const first = await client.responses.create({ model: 'chat', input: 'Remember the number 7' });
    expect(await rows('ledger.sqlite')).toEqual([{ id: first.id, hours: 1 }]);

    writeConfig('ledger.sqlite', 2);
    await holder.reload();
    const second = await client.responses.create({ model: 'chat', previous_response_id: first.id, input: 'What was it?' });
    expect(second.output_text).toContain('You said: What was it?');
    const sent = JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as { messages: Array<{ role: string }> };
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(await rows('ledger.sqlite')).toEqual([
      { id: first.id, hours: 1 },
      { id: second.id, hours: 2 },
    ]);
  });

  it('stores a stream that began before a reload in the database of the app it began on', async () => {
    dir = mkdtempSync(join(tmpdir(), 'responses-serve-stream-'));
    const { holder, client } = await serveFile(writeConfig('old.sqlite', 1));
    sim.faults.add({ inter_chunk_ms: 50, count: 1 });
    const stream = client.responses.stream({ model: 'chat', input: 'Tell me a longer story, one slow word at a time' });
    const delta = new Promise((resolve) => stream.once('response.output_text.delta', resolve));
    await delta;
    writeConfig('new.sqlite', 1);
    await holder.reload();
    const streamed = await stream.finalResponse();
    const after = await client.responses.create({ model: 'chat', input: 'And now?' });
    // The old app closes its database only once the stream's save has settled there.
    await vi.waitFor(async () => expect(await rows('old.sqlite')).toEqual([{ id: streamed.id, hours: 1 }]), { timeout: 2_000, interval: 50 });
    expect(await rows('new.sqlite')).toEqual([{ id: after.id, hours: 1 }]);
  });

  it('keeps them in memory across a reload without a SQL ledger, under the limits of the config in force', async () => {
    dir = mkdtempSync(join(tmpdir(), 'responses-serve-memory-'));
    const kept = new MemoryConversationStore({ retentionMs: HOUR, maxEntries: 100, maxBytes: 1_000_000 });
    const { holder, client } = await serveFile(writeConfig('', 1), kept);
    const first = await client.responses.create({ model: 'chat', input: 'Remember the number 7' });
    const second = await client.responses.create({ model: 'chat', input: 'And the letter q' });
    writeConfig('', 1, 1);
    await holder.reload();
    // The reload's cap of one keeps the newest.
    expect(kept.size).toBe(1);
    const continued = await client.responses.create({ model: 'chat', previous_response_id: second.id, input: 'Which letter?' });
    expect(continued.output_text).toContain('You said: Which letter?');
    await expect(client.responses.create({ model: 'chat', previous_response_id: first.id, input: 'Which number?' })).rejects.toMatchObject({ status: 400 });
  });
});
