import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from './app.js';
import { resolveConfig } from './config/load.js';
import { NEVER_CANCELLED } from './core/cancel.js';
import { createHttpHandler } from './http/handler.js';
import { FakeProvider, rawDeployment } from './routing/testing/fakes.js';

const opened: App[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

describe('createApp', () => {
  it('serves deployments from in-process providers when given createProvider, with the whole app around them (ledger too)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-'));
    const config = resolveConfig({
      deployments: [rawDeployment('mem')],
      groups: [{ name: 'chat', deployments: ['mem'] }],
      ledger: { enabled: true, store: 'sqlite', path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl'), journal: false },
    });
    const app = await createApp(config, { createProvider: (d) => new FakeProvider(d.id) });
    opened.push(app);
    const body = Buffer.from(JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }));
    const answer = await createHttpHandler(app.gateway, app.handlerOptions)({
      method: 'POST',
      path: '/v1/chat/completions',
      query: '',
      headers: { 'content-type': 'application/json' },
      body,
      signal: NEVER_CANCELLED,
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(String(answer.body)).choices[0].message.content).toBe('answer from mem');
    await app.flush();
    const store = app.ledger.store;
    if (!store) throw new Error('the ledger has no store');
    const [row] = await store.summarize({ from: 0, to: Date.parse('2100-01-01'), groupBy: [] });
    expect(row?.attempts).toBe(1);
  });
});
