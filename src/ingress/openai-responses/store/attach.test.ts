import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createApp, type App } from '../../../app.js';
import { startServer, type RunningServer } from '../../../adapters/node/server.js';
import { resolveConfig } from '../../../config/load.js';
import { SqlLedgerStore } from '../../../ledger/store/sql-store.js';
import { startOpenAISim } from '../../../sim/openai/index.js';
import type { SimServer } from '../../../sim/server.js';

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
