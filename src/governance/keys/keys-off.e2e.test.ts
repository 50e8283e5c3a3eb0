import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { parseConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import type { HttpRequest } from '../../http/exchange.js';
import { createHttpHandler } from '../../http/handler.js';
import { KEYS_OFF } from './routes.js';

/*
 * With virtual keys off (no keys.hmac_secret, or no SQL ledger to keep them in), the keys routes still
 * exist for an admin and say why they are off: a 404 `keys_disabled`, as the usage route says
 * `ledger_disabled`, never "unknown route", which reads as a typo in the path. Other callers are refused
 * as on any admin route, learning nothing of the setup.
 */

const ADMIN = 'sk-keys-off-admin';
const USER = 'sk-keys-off-user';
let app: App | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function handlerFor(extra: Partial<ConfigInput>): Promise<(method: string, path: string, key: string) => Promise<{ status: number; body: { error: Record<string, unknown> } }>> {
  const parsed = parseConfig(
    {
      deployments: [{ id: 'a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
      api_keys: [
        { id: 'ops', key: ADMIN, role: 'admin' },
        { id: 'app', key: USER },
      ],
      ...extra,
    },
    {},
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  app = await createApp(parsed.config);
  const handle = createHttpHandler(app.gateway, app.handlerOptions);
  return async (method, path, key) => {
    const request: HttpRequest = { method, path, query: '', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: new TextEncoder().encode(method === 'POST' ? '{}' : ''), signal: new AbortController().signal };
    const answer = await handle(request);
    return { status: answer.status, body: JSON.parse(String(answer.body)) as { error: Record<string, unknown> } };
  };
}

const ROUTES: ReadonlyArray<[string, string]> = [
  ['GET', '/v1/switchyard/keys'],
  ['POST', '/v1/switchyard/keys'],
  ['POST', '/v1/switchyard/keys/k1/revoke'],
  ['POST', '/v1/switchyard/keys/k1/rotate'],
];

describe('the keys routes while virtual keys are off', () => {
  it('tell an admin to set keys.hmac_secret when the ledger could keep keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-off-'));
    const call = await handlerFor({ ledger: { enabled: true, store: 'sqlite', path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl') } });
    for (const [method, path] of ROUTES) {
      expect(await call(method, path, ADMIN), `${method} ${path}`).toEqual({ status: 404, body: { error: { message: KEYS_OFF.noSecret, type: 'invalid_request_error', param: null, code: 'keys_disabled' } } });
    }
    const refused = await call('GET', '/v1/switchyard/keys', USER);
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).not.toContain('hmac_secret');
  });

  it('tell an admin that keys need a SQL ledger when there is none', async () => {
    const call = await handlerFor({ ledger: { enabled: false } });
    expect(await call('GET', '/v1/switchyard/keys', ADMIN)).toEqual({ status: 404, body: { error: { message: KEYS_OFF.noSqlLedger, type: 'invalid_request_error', param: null, code: 'keys_disabled' } } });
  });
});
