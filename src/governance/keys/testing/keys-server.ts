import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createApp, type App, type AppOptions } from '../../../app.js';
import { startServer, type RunningServer } from '../../../adapters/node/server.js';
import { resolveConfig } from '../../../config/load.js';
import type { ConfigInput } from '../../../config/schema.js';
import { startOpenAISim } from '../../../sim/openai/index.js';
import type { SimServer } from '../../../sim/server.js';

/** A gateway with virtual keys on a SQLite ledger, one config admin key and a `chat` group on a simulator. */
export interface KeysServer {
  url: string;
  app: App;
  close(): Promise<void>;
}

/** `extra` adds to the config (other API keys, observability); `options` to the app's (a logger). */
export async function startKeysServer(adminKey: string, extra: Partial<ConfigInput> = {}, options: AppOptions = {}): Promise<KeysServer> {
  const sim: SimServer = await startOpenAISim({ name: 'a' });
  const dir = mkdtempSync(join(tmpdir(), 'virtual-keys-'));
  // No `budgets.limits` nor `rate_limits`: the keys' own policies alone turn the guard and limiter on.
  const app: App = await createApp(
    resolveConfig(
      {
        deployments: [{ id: 'd0', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
        groups: [{ name: 'chat', deployments: ['d0'] }],
        ledger: { store: 'sqlite', path: join(dir, 'ledger.sqlite'), journal: false, spill_path: join(dir, 'spill.jsonl') },
        keys: { hmac_secret: 'an-hmac-secret-of-at-least-32-characters', refresh_ms: 200 },
        ...extra,
        api_keys: [{ id: 'ops', key: adminKey, role: 'admin' }, ...(extra.api_keys ?? [])],
      },
      {},
    ),
    options,
  );
  const server: RunningServer = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1' });
  return {
    url: server.url,
    app,
    async close() {
      await server.shutdown(100);
      await app.close();
      await sim.close();
    },
  };
}

/** POSTs JSON with a bearer key. */
export async function post(url: string, path: string, key: string, body: unknown): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  const res = await request(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, json: (await res.body.json()) as Record<string, unknown> };
}
