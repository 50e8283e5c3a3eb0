import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from './app.js';
import { ConfigError, resolveConfig } from './config/load.js';
import { NEVER_CANCELLED } from './core/cancel.js';
import { createHttpHandler } from './http/handler.js';
import { silentLogger } from './core/logger.js';
import { UsageQueryCounts } from './http/usage-route.js';
import { AppHolder } from './ops/reload.js';
import { FakeProvider, rawDeployment } from './routing/testing/fakes.js';

const opened: App[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

describe('createApp', () => {
  it('quotes a secret a variable also put into a field that is not secret by its reference in a ConfigError found while building, and in a reload refused for it', async () => {
    const config = resolveConfig(
      {
        deployments: [{ id: 'd', provider: 'openai-compatible', model: '${OPENAI_KEY}', endpoint: 'http://127.0.0.1:1/v1', api_key: '${OPENAI_KEY}' }],
        groups: [{ name: 'chat', deployments: ['d'] }],
        ledger: { enabled: false },
      },
      { OPENAI_KEY: 'sk-live-1234567890' },
    );
    // A provider factory that refuses its deployment, quoting the field (an embedding app's own check).
    const refusing = (d: { model: string }): never => {
      throw new ConfigError('config', [{ path: 'deployments[0].model', message: `no such model "${d.model}"` }]);
    };
    const thrown = await createApp(config, { createProvider: refusing }).catch((err: unknown) => err);
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.problems).toEqual([{ path: 'deployments[0].model', message: 'no such model "${OPENAI_KEY}"' }]);
    expect(error.message).toContain('no such model "${OPENAI_KEY}"');
    expect(error.message).not.toContain('1234567890');
    // The same build refused on a reload: its 422 answer carries the message.
    const running = await createApp(resolveConfig({ deployments: [rawDeployment('mem')], groups: [{ name: 'chat', deployments: ['mem'] }], ledger: { enabled: false } }), { createProvider: (d) => new FakeProvider(d.id) });
    opened.push(running);
    const holder = new AppHolder(running, { load: () => config, build: (c) => createApp(c, { createProvider: refusing }), logger: silentLogger, retireAfterMs: 0 });
    const refused = (await holder.reload().catch((err: unknown) => err)) as Error;
    expect(refused.message).toContain('no such model "${OPENAI_KEY}"');
    expect(refused.message).not.toContain('1234567890');
  });

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

  it('counts usage queries against ledger.usage_queries_max in the usageQueries it is given, which outlive a reload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'app-'));
    const config = resolveConfig({
      deployments: [rawDeployment('mem')],
      groups: [{ name: 'chat', deployments: ['mem'] }],
      ledger: { enabled: true, store: 'sqlite', path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl'), journal: false, usage_queries_max: 2 },
    });
    // Two queries the previous app of this process is still answering.
    const usageQueries = new UsageQueryCounts();
    usageQueries.enter('a', 2, 2);
    usageQueries.enter('b', 2, 2);
    const app = await createApp(config, { createProvider: (d) => new FakeProvider(d.id), usageQueries });
    opened.push(app);
    const usage = () =>
      createHttpHandler(app.gateway, app.handlerOptions)({ method: 'GET', path: '/v1/switchyard/usage', query: 'from=2025-06-01&to=2025-06-30', headers: {}, body: undefined, signal: NEVER_CANCELLED });
    const refused = await usage();
    expect([refused.status, JSON.parse(String(refused.body)).error.code]).toEqual([503, 'ledger_busy']);
    usageQueries.leave('a');
    expect((await usage()).status).toBe(200);
  });
});
