import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { createApp, type App } from '../app.js';
import type { HttpRequest, HttpResponse } from '../http/exchange.js';
import { DATABASE_URL, testSchema } from '../ledger/testing/fixtures.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { SECRETS_REFRESH_LIMIT_MS, createServerlessEntry, type ServerlessEntryOptions } from './serverless-entry.js';

let sim: SimServer;
let dir: string;
const apps: App[] = [];

beforeAll(async () => {
  sim = await startOpenAISim();
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const app of apps.splice(0)) await app.close();
  rmSync(dir, { recursive: true, force: true });
});

// Keyless: these specs call without a key, as a function behind a platform that authenticates would be.
const gatewayYaml = (): string =>
  `server: { allow_unauthenticated: true }\nrouting: { allow_direct_deployments: true }\ndeployments:\n  - { id: sim, provider: openai-compatible, model: gpt-4o-mini, endpoint: "${sim.url}/v1" }\n`;

/** A config file in a fresh folder: one openai-compatible deployment on the simulator, then `ledger` (spilling into the folder). */
function writeConfig(ledger: string, name = 'switchyard.yaml'): string {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-entry-'));
  const deployment = gatewayYaml();
  mkdirSync(join(dir, 'conf'), { recursive: true });
  // Its own spill file: the default (relative to the working directory) is shared by every test process.
  const spill = ledger.startsWith(NO_LEDGER) ? '' : `  spill_path: ${join(dir, 'spill.jsonl')}\n`;
  writeFileSync(join(dir, name), `${deployment}ledger:\n${ledger}${spill}`);
  return dir;
}

const NO_LEDGER = '  enabled: false\n';

/** An entry whose apps are closed after each test; `built` counts the apps made. */
function entryFor(options: ServerlessEntryOptions = {}) {
  const logs = new PassThrough();
  let text = '';
  logs.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const build = vi.fn(async (...args: Parameters<typeof createApp>) => {
    const app = await createApp(...args);
    apps.push(app);
    return app;
  });
  // The journal of each test in its own folder: the default one in the temp folder is shared by every process.
  const entry = createServerlessEntry({ baseDir: dir, env: {}, logs, createApp: build, localDir: join(dir, 'local'), ...options });
  return { entry, build, logs: () => text };
}

const request = (method: string, path: string, body?: unknown): HttpRequest => ({
  method,
  path,
  query: '',
  headers: body === undefined ? {} : { 'content-type': 'application/json' },
  body: body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body)),
  signal: new AbortController().signal,
});
const chat = request('POST', '/v1/chat/completions', { model: 'sim', messages: [{ role: 'user', content: 'Hello entry' }] });
const text = (response: HttpResponse): string => (typeof response.body === 'string' ? response.body : '');

describe('createServerlessEntry', () => {
  it('builds the app on the first invocation, not at creation, and keeps it for the next ones', async () => {
    writeConfig(NO_LEDGER);
    const { entry, build } = entryFor();
    expect(build).not.toHaveBeenCalled();
    expect((await entry.handler(chat)).status).toBe(200);
    expect((await entry.handler(request('GET', '/healthz'))).status).toBe(200);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('answers a reload with 501 saying a function reloads its config by being redeployed', async () => {
    writeConfig(NO_LEDGER);
    const { entry } = entryFor();
    const answer = await entry.handler(request('POST', '/v1/switchyard/reload'));
    expect(answer.status).toBe(501);
    expect(JSON.parse(text(answer))).toMatchObject({ error: { code: 'reload_unsupported', message: 'A serverless function cannot reload its config: redeploy the function with the new config.' } });
  });

  it("opens one PostgreSQL connection per instance unless ledger.pool_size says otherwise: each instance, frozen ones too, holds its own pool", async () => {
    const poolSize = async (ledger: string, platform?: number): Promise<number | undefined> => {
      writeConfig(ledger);
      const build = vi.fn((..._args: Parameters<typeof createApp>): ReturnType<typeof createApp> => Promise.reject(new Error('not built here')));
      await createServerlessEntry({ baseDir: dir, env: {}, logs: new PassThrough(), createApp: build, localDir: join(dir, 'local'), poolSize: platform }).handler(chat);
      return build.mock.calls[0]?.[0]?.ledger.pool_size;
    };
    expect(await poolSize(NO_LEDGER)).toBe(1);
    expect(await poolSize('  enabled: false\n  pool_size: 3\n')).toBe(3);
    // A platform whose instance serves many requests at once asks for more.
    expect(await poolSize(NO_LEDGER, 2)).toBe(2);
  });

  it('reads the file SWITCHYARD_CONFIG names, relative to the base directory', async () => {
    writeConfig(NO_LEDGER, 'conf/gateway.yaml');
    const { entry } = entryFor({ env: { SWITCHYARD_CONFIG: 'conf/gateway.yaml' } });
    const answer = await entry.handler(chat);
    expect(answer.status).toBe(200);
    expect(text(answer)).toContain('You said: Hello entry');
  });

  it('answers 500 in the OpenAI shape and logs why when the build fails, then builds again on the next invocation', async () => {
    writeConfig(NO_LEDGER, 'conf/other.yaml');
    const { entry, build, logs } = entryFor();
    const failed = await entry.handler(chat);
    expect(failed.status).toBe(500);
    expect(JSON.parse(text(failed))).toMatchObject({ error: { type: 'server_error', code: null } });
    expect(logs()).toContain('cannot read config file');
    await entry.onSettled();
    writeFileSync(join(dir, 'switchyard.yaml'), `${gatewayYaml()}ledger:\n${NO_LEDGER}`);
    expect((await entry.handler(chat)).status).toBe(200);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('refuses to start with no keys, where every caller reaching the URL would be an admin, unless the config says the platform authenticates', async () => {
    writeConfig(NO_LEDGER);
    writeFileSync(join(dir, 'switchyard.yaml'), `${gatewayYaml().replace('server: { allow_unauthenticated: true }\n', '')}ledger:\n${NO_LEDGER}`);
    const { entry, build, logs } = entryFor();
    expect((await entry.handler(chat)).status).toBe(500);
    expect(logs()).toMatch(/api_keys: a function answers whoever reaches its URL, and with no api_keys and no virtual keys every caller would be an admin/);
    expect(build).not.toHaveBeenCalled();
  });

  it('answers a failed build in the error shape of the front door the path belongs to', async () => {
    writeConfig(NO_LEDGER, 'conf/other.yaml');
    const { entry } = entryFor();
    const failed = await entry.handler(request('POST', '/v1/messages', { model: 'sim', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }));
    expect(failed.status).toBe(500);
    expect(JSON.parse(text(failed))).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('answers a failed build under server.base_path in the shape of the door the path belongs to, the config read or not', async () => {
    writeConfig(NO_LEDGER);
    writeFileSync(join(dir, 'switchyard.yaml'), `${gatewayYaml().replace('allow_unauthenticated: true', 'allow_unauthenticated: true, base_path: /llm')}ledger:\n${NO_LEDGER}`);
    const messages = request('POST', '/llm/v1/messages', { model: 'sim', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] });
    const read = entryFor({ createApp: () => Promise.reject(new Error('no app today')) });
    const afterRead = await read.entry.handler(messages);
    expect(afterRead.status).toBe(500);
    expect(JSON.parse(text(afterRead))).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(read.entry.basePath()).toBe('/llm');
    const unread = entryFor({ env: { SWITCHYARD_CONFIG: 'missing.yaml' } });
    const unknown = await unread.entry.handler(messages);
    expect(unknown.status).toBe(500);
    expect(JSON.parse(text(unknown))).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(unread.entry.basePath()).toBeUndefined();
    expect(JSON.parse(text(await unread.entry.handler(request('POST', '/llm/v1/chat/completions', {}))))).toMatchObject({ error: { type: 'server_error' } });
  });

  it("fills the config's ${VAR}s from secretVariables, which win over the environment, read again after a failed build", async () => {
    writeConfig(NO_LEDGER);
    writeFileSync(join(dir, 'switchyard.yaml'), `api_keys:\n  - id: default\n    key: \${CLIENT_KEY}\n${gatewayYaml()}ledger:\n${NO_LEDGER}`);
    const secretVariables = vi.fn().mockRejectedValueOnce(new Error('cannot read secret arn:aws:secretsmanager:x: AccessDeniedException')).mockResolvedValue({ CLIENT_KEY: 'from-the-secret' });
    const { entry, logs } = entryFor({ env: { CLIENT_KEY: 'from-the-environment' }, secretVariables });
    const keyed = (key: string): HttpRequest => ({ ...chat, headers: { ...chat.headers, authorization: `Bearer ${key}` } });
    expect((await entry.handler(keyed('from-the-secret'))).status).toBe(500);
    expect(logs()).toContain('AccessDeniedException');
    const second = await entry.handler(keyed('from-the-secret'));
    expect(second.status, logs()).toBe(200);
    expect((await entry.handler(keyed('from-the-environment'))).status).toBe(401);
    expect(secretVariables).toHaveBeenCalledTimes(2);
    expect(secretVariables).toHaveBeenCalledWith({ CLIENT_KEY: 'from-the-environment' });
  });

  it('reads the secret variables again after secretsRefreshMs, once an answer is out, and builds the app again only when they changed', async () => {
    writeConfig(NO_LEDGER);
    writeFileSync(join(dir, 'switchyard.yaml'), `api_keys:\n  - id: default\n    key: \${CLIENT_KEY}\n${gatewayYaml()}ledger:\n${NO_LEDGER}`);
    let clock = 0;
    const secretVariables = vi
      .fn()
      .mockResolvedValueOnce({ CLIENT_KEY: 'first' })
      .mockResolvedValueOnce({ CLIENT_KEY: 'first' })
      .mockRejectedValueOnce(new Error('cannot read secret arn:aws:secretsmanager:x: ThrottlingException'))
      .mockResolvedValue({ CLIENT_KEY: 'rotated' });
    const { entry, build, logs } = entryFor({ secretVariables, secretsRefreshMs: 60_000, now: () => clock });
    const keyed = (key: string): HttpRequest => ({ ...chat, headers: { ...chat.headers, authorization: `Bearer ${key}` } });
    const settled = async (key: string): Promise<number> => {
      const { status } = await entry.handler(keyed(key));
      await entry.onSettled();
      return status;
    };
    expect(await settled('first')).toBe(200);
    clock = 59_999;
    expect(await settled('first')).toBe(200);
    expect(secretVariables).toHaveBeenCalledTimes(1);
    // Due, unchanged: read, nothing built.
    clock = 60_000;
    expect(await settled('first')).toBe(200);
    expect(secretVariables).toHaveBeenCalledTimes(2);
    expect(build).toHaveBeenCalledTimes(1);
    // Due, the read fails: the app that runs stays, the failure is logged without a value.
    clock = 120_000;
    expect(await settled('first')).toBe(200);
    expect(logs()).toContain('secret refresh failed');
    expect(build).toHaveBeenCalledTimes(1);
    // Due, rotated: the next invocation meets an app built with the new value, the old one closed.
    clock = 180_000;
    await settled('first');
    expect(build).toHaveBeenCalledTimes(2);
    expect((await entry.handler(keyed('rotated'))).status).toBe(200);
    expect((await entry.handler(keyed('first'))).status).toBe(401);
    expect(logs()).not.toContain('rotated');
  });

  it('leaves a due secrets refresh to a later invocation when too little of this one is left for it', async () => {
    writeConfig(NO_LEDGER);
    let clock = 0;
    const secretVariables = vi.fn().mockResolvedValue({});
    const { entry } = entryFor({ secretVariables, secretsRefreshMs: 60_000, now: () => clock });
    await entry.handler(chat);
    clock = 60_000;
    // The Lambda deadline's abort leaves about its 8 s margin: not enough for a 10 s Secrets Manager read and a build.
    await entry.onSettled(8_000);
    await entry.onSettled(SECRETS_REFRESH_LIMIT_MS);
    expect(secretVariables).toHaveBeenCalledTimes(1);
    await entry.onSettled(300_000);
    expect(secretVariables).toHaveBeenCalledTimes(2);
  });

  it('gives up a secrets refresh that outlasts its limit, keeping the app that runs and discarding what the late read brings', async () => {
    writeConfig(NO_LEDGER);
    writeFileSync(join(dir, 'switchyard.yaml'), `api_keys:\n  - id: default\n    key: \${CLIENT_KEY}\n${gatewayYaml()}ledger:\n${NO_LEDGER}`);
    let clock = 0;
    let answer = (_: Record<string, string>): void => undefined;
    const secretVariables = vi
      .fn()
      .mockResolvedValueOnce({ CLIENT_KEY: 'first' })
      .mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const { entry, build, logs } = entryFor({ secretVariables, secretsRefreshMs: 60_000, now: () => clock });
    const keyed: HttpRequest = { ...chat, headers: { ...chat.headers, authorization: 'Bearer first' } };
    expect((await entry.handler(keyed)).status).toBe(200);
    clock = 60_000;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let settled = false;
    const settling = entry.onSettled(300_000).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(SECRETS_REFRESH_LIMIT_MS - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await settling;
    vi.useRealTimers();
    expect(logs()).toContain('secret refresh took too long');
    answer({ CLIENT_KEY: 'rotated' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await entry.handler(keyed)).status).toBe(200);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('refuses a SWITCHYARD_SECRETS_REFRESH_SECONDS that is no number of seconds at the build, not at the import', async () => {
    writeConfig(NO_LEDGER);
    const { entry, logs } = entryFor({ env: { SWITCHYARD_SECRETS_REFRESH_SECONDS: 'hourly' } });
    expect((await entry.handler(chat)).status).toBe(500);
    expect(logs()).toContain('SWITCHYARD_SECRETS_REFRESH_SECONDS must be a number of seconds');
  });

  it("hands the handler the app's Responses store: a stored response continues on the next invocation, with no fallback said in the log", async () => {
    writeConfig(`${NO_LEDGER}responses: { store: { enabled: true } }\n`);
    const { entry, logs } = entryFor();
    const respond = (previous?: string) => entry.handler(request('POST', '/v1/responses', { model: 'sim', input: 'Remember 7', previous_response_id: previous }));
    const first = JSON.parse(text(await respond())) as { id: string };
    expect((await respond(first.id)).status).toBe(200);
    expect(logs()).not.toContain('no store given');
  });

  it('refuses a SQLite ledger, which an instance loses with its disk, and names postgres and stdout instead', async () => {
    writeConfig('  store: sqlite\n');
    const { entry, build, logs } = entryFor();
    expect((await entry.handler(chat)).status).toBe(500);
    expect(build).not.toHaveBeenCalled();
    expect(logs()).toMatch(/ledger\.store: sqlite .*postgres.* or .*stdout.*ledger\.enabled: false/);
  });

  it('flushes the ledger in onSettled: the usage line is on stdout once it resolves, not before', async () => {
    writeConfig(`  store: stdout\n  flush_interval_ms: 600000\n  journal: false\n`);
    const usage: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).includes('switchyard_usage')) {
        usage.push(String(chunk));
        (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
        return true;
      }
      return write(chunk, ...(rest as [BufferEncoding]));
    });
    const { entry } = entryFor();
    expect((await entry.handler(chat)).status).toBe(200);
    expect(usage).toEqual([]);
    await entry.onSettled();
    expect(usage).toHaveLength(1);
    expect(JSON.parse(usage[0] ?? '{}')).toMatchObject({ switchyard_usage: { deployment: 'sim' } });
  });

  it('copies usage the store could not take to the function log in onSettled, since /tmp dies with the instance', async () => {
    // Port 9 refuses on loopback: PostgreSQL is down for this whole instance's life.
    writeConfig(`  store: postgres\n  url: postgres://127.0.0.1:9/test\n  journal: false\n  flush_interval_ms: 600000\n`);
    const { entry, logs } = entryFor();
    expect((await entry.handler(chat)).status).toBe(200);
    await entry.onSettled();
    const copies = logs()
      .split('\n')
      .filter((l) => l.includes('switchyard_unstored_usage'))
      .map((l) => JSON.parse(l) as { switchyard_unstored_usage: { deployment: string; inputTokens: number } });
    expect(copies).toHaveLength(1);
    expect(copies[0]?.switchyard_unstored_usage).toMatchObject({ deployment: 'sim' });
    await entry.onSettled();
    expect(logs().split('switchyard_unstored_usage').length - 1).toBe(1); // once, not at every flush
  });

  it.skipIf(!DATABASE_URL)('waits for a PostgreSQL that hangs only as long as the invocation allows, then copies the usage to the function log (skipped without DATABASE_URL)', async () => {
    const schema = testSchema('entry_flush');
    writeConfig(`  store: postgres\n  url: ${DATABASE_URL}\n  schema: ${schema}\n  journal: false\n  flush_interval_ms: 600000\n`);
    const { entry, logs } = entryFor();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      expect((await entry.handler(chat)).status).toBe(200);
      await entry.onSettled(300_000);
      expect(logs()).not.toContain('switchyard_unstored_usage');
      // The database still takes connections, but every insert waits on a lock another session holds.
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE "${schema}".usage_events IN ACCESS EXCLUSIVE MODE`);
      expect((await entry.handler(chat)).status).toBe(200);
      const started = Date.now();
      await entry.onSettled(2_500);
      expect(Date.now() - started).toBeLessThan(2_500);
      const copies = logs().split('\n').filter((l) => l.includes('switchyard_unstored_usage'));
      expect(copies).toHaveLength(1);
      expect(logs()).toContain('ledger flush still unfinished after 1500 ms');
    } finally {
      await admin.query('ROLLBACK').catch(() => undefined);
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await admin.end();
    }
  });

  it('pulls shared state before every invocation is routed', async () => {
    writeConfig(NO_LEDGER);
    let release = (): void => {};
    const sync = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const { entry } = entryFor({
      createApp: async (...args) => {
        const app = await createApp(...args);
        apps.push(app);
        app.gateway.syncState = sync;
        return app;
      },
    });
    let answered = false;
    const calls = sim.stats.total;
    const first = entry.handler(chat).then((r) => ((answered = true), r));
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    expect(sim.stats.total).toBe(calls);
    release();
    expect((await first).status).toBe(200);
    const second = entry.handler(chat);
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(2));
    release();
    expect((await second).status).toBe(200);
  });

  it("bounds streams under the platform's invocation time when the config leaves routing.stream_max_ms at its default, silently", async () => {
    writeConfig(NO_LEDGER);
    const { entry, build, logs } = entryFor({ invocationMs: () => 900_000 });
    expect((await entry.handler(chat)).status).toBe(200);
    expect(build.mock.calls[0]?.[0].routing.stream_max_ms).toBe(770_000);
    expect(logs()).not.toContain('stream_max_ms');
  });

  it('keeps a routing.stream_max_ms above the platform only as far as the platform allows, with one warning naming it at the build', async () => {
    writeConfig(NO_LEDGER);
    writeFileSync(join(dir, 'switchyard.yaml'), `${gatewayYaml().replace('allow_direct_deployments: true', 'allow_direct_deployments: true, stream_max_ms: 7200000')}ledger:\n${NO_LEDGER}`);
    const { entry, build, logs } = entryFor({ invocationMs: () => 3_600_000 });
    await entry.handler(chat);
    await entry.handler(chat);
    expect(build.mock.calls[0]?.[0].routing.stream_max_ms).toBe(3_470_000);
    const warnings = logs().split('\n').filter((l) => l.includes('"setting":"routing.stream_max_ms"'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] ?? '')).toMatchObject({ level: 40, msg: expect.stringContaining('routing.stream_max_ms is 7200000 ms') });
  });

  it('resolves onSettled before any invocation', async () => {
    writeConfig(NO_LEDGER);
    const { entry, build } = entryFor();
    await expect(entry.onSettled()).resolves.toBeUndefined();
    expect(build).not.toHaveBeenCalled();
  });
});

describe("the ledger's local files on a platform whose working directory is read-only", () => {
  it('puts the journal and spill file the config leaves unset under the temp folder, /tmp/switchyard, on every platform', async () => {
    writeConfig('  store: stdout\n');
    writeFileSync(join(dir, 'switchyard.yaml'), `${gatewayYaml()}ledger: { store: stdout }\n`);
    const configs: Parameters<typeof createApp>[0][] = [];
    const entry = createServerlessEntry({
      baseDir: dir,
      env: {},
      logs: new PassThrough(),
      createApp: (config) => (configs.push(config), Promise.reject(new Error('not built'))),
    });
    await entry.handler(chat);
    expect(configs[0]?.ledger).toMatchObject({ journal_dir: join(tmpdir(), 'switchyard', 'ledger-journal'), spill_path: join(tmpdir(), 'switchyard', 'ledger-spill.jsonl') });
  });

  it('keeps a journal_dir and spill_path the config names, the default written out included', async () => {
    writeConfig('  store: stdout\n');
    writeFileSync(join(dir, 'switchyard.yaml'), `${gatewayYaml()}ledger: { store: postgres, url: "${DATABASE_URL}", journal_dir: .switchyard/ledger-journal, spill_path: /var/spill.jsonl }\n`);
    const configs: Parameters<typeof createApp>[0][] = [];
    const { entry } = entryFor({ createApp: (config) => (configs.push(config), Promise.reject(new Error('not built'))) });
    await entry.handler(chat);
    expect(configs[0]?.ledger).toMatchObject({ journal_dir: '.switchyard/ledger-journal', spill_path: '/var/spill.jsonl' });
  });

  it('serves with ledger.store: stdout and no paths named from a working directory it cannot write, journaling under localDir', async () => {
    writeConfig('  store: stdout\n');
    writeFileSync(join(dir, 'switchyard.yaml'), `${gatewayYaml()}ledger: { store: stdout }\n`);
    // Read-only as Lambda's /var/task is: mode 0555 stops anyone but root, and `.switchyard` a file
    // stops root too (these specs may run as root), so nothing can be made under it.
    const cwd = join(dir, 'task');
    mkdirSync(cwd);
    writeFileSync(join(cwd, '.switchyard'), '');
    chmodSync(cwd, 0o555);
    const was = process.cwd();
    process.chdir(cwd);
    try {
      const { entry, logs } = entryFor();
      const answer = await entry.handler(chat);
      expect({ status: answer.status, logs: logs() }).toMatchObject({ status: 200 });
      await entry.onSettled();
    } finally {
      process.chdir(was);
      chmodSync(cwd, 0o755);
    }
    expect(existsSync(join(dir, 'local', 'ledger-journal'))).toBe(true);
    expect(readdirSync(cwd)).toEqual(['.switchyard']);
  });
});
