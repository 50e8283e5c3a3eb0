import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { resolveConfig } from '../../config/load.js';
import { GatewayError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { SqlDriver } from '../../ledger/store/driver.js';
import { migrate } from '../../ledger/store/migrations.js';
import { openPostgres } from '../../ledger/store/postgres-driver.js';
import { openSqlite } from '../../ledger/store/sqlite-driver.js';
import { DATABASE_URL, testSchema } from '../../ledger/testing/fixtures.js';
import { rawDeployment } from '../../routing/testing/fakes.js';
import { AuditLog } from '../audit/log.js';
import { keysAdmin } from './admin.js';
import { KeyStore, MISMATCHES_SHOWN } from './store.js';
import { cacheScope } from '../../cache/key.js';

const SECRET = 'x'.repeat(40);
const config = resolveConfig(
  {
    deployments: [rawDeployment('claude-eu', { tags: ['eu'] }), rawDeployment('gpt-us')],
    groups: [
      { name: 'coding', deployments: ['claude-eu', 'gpt-us'] },
      { name: 'simple', deployments: ['gpt-us'] },
    ],
  },
  {},
);

function keysSuite(name: string, open: () => SqlDriver, replicas: 1 | 2, cleanup: () => Promise<void>) {
  describe(`virtual keys on ${name}`, () => {
    let a: SqlDriver;
    let b: SqlDriver;
    let now = Date.parse('2025-06-01T00:00:00Z');
    const store = (driver: SqlDriver, audit?: AuditLog) => new KeyStore({ driver, hmacSecret: SECRET, config, audit, logger: silentLogger, refreshMs: 100, now: () => now });
    beforeAll(async () => {
      a = open();
      b = replicas === 2 ? open() : a;
      await migrate(a);
    });
    afterAll(async () => {
      if (b !== a) await b?.close();
      await a?.close();
      await cleanup();
    });

    it('authenticates a created key as its owner, team, tags, residency and allowed groups', async () => {
      const keys = store(a);
      const { key, record } = await keys.create({ owner: 'ana', team: 'research', tags: { project: 'x' }, role: 'user', residency: 'eu', groups: ['coding'], budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      expect(key).toMatch(/^sy-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/);
      const caller = keys.lookup(key);
      expect(caller).toMatchObject({ keyId: record.id, residency: 'eu', role: 'user', tags: { key: record.id, team: 'research', user: 'ana', project: 'x' } });
      expect(caller?.access.models).toEqual(['coding']);
      expect(keys.lookup(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
      expect(keys.lookup(`sy-${record.id}`)).toBeUndefined();
      expect(keys.lookup('sk-not-a-virtual-key')).toBeUndefined();
    });

    it('has the processes beside it reload their keys before a write is answered, and keeps the write when they cannot be told', async () => {
      const told: string[] = [];
      const warned: unknown[] = [];
      const logger = { ...silentLogger, warn: (_: unknown, msg?: string) => void warned.push(msg) };
      let fail = false;
      let created: { key: string; record: { id: string } } | undefined = undefined;
      const keys = new KeyStore({ driver: a, hmacSecret: SECRET, config, logger, refreshMs: 100, now: () => now, written: async () => {
        // The writer's own cache already holds the change when the others are told.
        told.push(created === undefined ? 'created' : keys.lookup(created.key) === undefined ? 'revoked here first' : 'still served here');
        if (fail) throw new Error('the primary is gone');
      } });
      created = await keys.create({ tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      fail = true;
      await keys.revoke(created.record.id, 'cli:test');
      expect(told).toEqual(['created', 'revoked here first']);
      expect(keys.lookup(created.key)).toBeUndefined();
      expect(warned).toEqual(['the other workers could not be told of a key change; they see it at their next poll']);
    });

    it('stores only an HMAC of the secret', async () => {
      const { key, record } = await store(a).create({ tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      const { rows } = await a.query<Record<string, unknown>>(`SELECT * FROM ${a.table('virtual_keys')} WHERE id = ?`, [record.id]);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(key.slice(16));
      expect(rows[0]?.hmac).toMatch(/^[0-9a-f]{64}$/);
      // Keyed with the server secret: the same key under another secret does not verify.
      const other = new KeyStore({ driver: a, hmacSecret: 'y'.repeat(40), config, logger: silentLogger, refreshMs: 100 });
      await other.refresh();
      expect(other.lookup(key)).toBeUndefined();
    });

    it('refuses a key after its expiry', async () => {
      const keys = store(a);
      const { key } = await keys.create({ expires_at: '2025-06-02T00:00:00Z', tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      expect(keys.lookup(key)).toBeDefined();
      now = Date.parse('2025-06-02T00:00:00Z');
      expect(keys.lookup(key)).toBeUndefined();
      expect((await keys.list()).find((k) => k.expires_at === '2025-06-02T00:00:00Z')?.status).toBe('expired');
      now = Date.parse('2025-06-01T00:00:00Z');
    });

    it('spreads a revocation to another replica within its refresh interval', async () => {
      const here = store(a);
      const there = store(b);
      const { key, record } = await here.create({ tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      // The refresh interval's timer is faked, the database is not: one interval is one refresh, whatever
      // the machine's speed (a wall-clock bound on it flaked under load).
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const refreshes = vi.spyOn(there, 'refresh');
        await there.start();
        expect(there.lookup(key)?.keyId).toBe(record.id);
        await here.revoke(record.id, 'cli:test');
        expect(here.lookup(key)).toBeUndefined();
        await vi.advanceTimersByTimeAsync(99);
        expect([refreshes.mock.calls.length, there.lookup(key)?.keyId]).toEqual([1, record.id]);
        await vi.advanceTimersByTimeAsync(1);
        expect(refreshes.mock.calls.length).toBe(2);
        await refreshes.mock.results[1]?.value;
        expect(there.lookup(key)).toBeUndefined();
      } finally {
        there.stop();
        vi.useRealTimers();
      }
    });

    it('keeps a revoked key refused when a poll that read the keys before the revocation answers after it', async () => {
      // The driver holds back the answer of one key load, as a slow database does a poll's SELECT.
      let hold: { release: () => void } | undefined;
      let armed = false;
      const slow: SqlDriver = Object.create(a) as SqlDriver;
      slow.query = async <T,>(sql: string, params?: readonly unknown[]) => {
        const result = await a.query<T>(sql, params);
        if (hold || !sql.includes('WHERE revoked_at IS NULL') || !armed) return result;
        armed = false;
        await new Promise<void>((release) => (hold = { release }));
        return result;
      };
      const keys = store(slow);
      const { key, record } = await keys.create({ tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      // Another replica's change, so the poll below finds the keys changed and loads them.
      await store(b).create({ tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      armed = true;
      const poll = keys.refresh();
      await expect.poll(() => hold).toBeDefined();
      await keys.revoke(record.id, 'cli:test');
      expect(keys.lookup(key)).toBeUndefined();
      hold?.release();
      await poll;
      expect(keys.lookup(key)).toBeUndefined();
    });

    it('rotates a secret: the old key stops working, the new one works', async () => {
      const keys = store(a);
      const { key, record } = await keys.create({ tags: {}, role: 'admin', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      const rotated = await keys.rotate(record.id, 'cli:test');
      expect(keys.lookup(key)).toBeUndefined();
      expect(keys.lookup(rotated.key)).toMatchObject({ keyId: record.id, role: 'admin' });
    });

    it('answers a created, rotated or revoked key from its own write: a read after the commit that fails loses no secret', async () => {
      // Queries outside a transaction fail (the database went away right after the commit); the writes' own transactions work.
      const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      const readsFail: SqlDriver = { ...a, query: async () => Promise.reject(down) };
      const keys = store(readsFail, new AuditLog(readsFail, () => now));
      const created = await keys.create({ owner: 'cy', team: 'ops', expires_at: '2025-07-01T00:00:00Z', tags: { project: 'y' }, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      const rotated = await keys.rotate(created.record.id, 'cli:test');
      // Another replica, reading the database when it is back: the answers were the stored keys.
      const healthy = store(b);
      await healthy.refresh();
      expect(healthy.lookup(created.key)).toBeUndefined();
      expect(healthy.lookup(rotated.key)).toMatchObject({ keyId: created.record.id, tags: { user: 'cy', team: 'ops', project: 'y' } });
      const [before] = (await healthy.list()).filter((k) => k.id === created.record.id);
      expect(rotated.record).toEqual(before);
      expect(created.record).toEqual(before);
      const revoked = await keys.revoke(created.record.id, 'cli:test');
      const [after] = (await healthy.list()).filter((k) => k.id === created.record.id);
      expect(revoked).toEqual(after);
      expect(revoked.status).toBe('revoked');
    });

    it('refuses a key pasted where its id goes without quoting it back, naming its id instead', async () => {
      const admin = keysAdmin(store(a));
      const created = await admin.create({ owner: 'cy' }, 'key:root');
      const secret = created.key.slice(`sy-${created.id}-`.length);
      for (const call of [admin.revoke(created.key, 'key:root'), admin.rotate(created.key, 'key:root')]) {
        const error = await call.then(() => undefined, (e: unknown) => e as GatewayError);
        expect(error).toMatchObject({ kind: 'invalid_request', param: 'id', code: 'invalid_key_id', message: `That is not a virtual key id (12 hex digits). It is a virtual key itself, secret and all: its id is ${created.id}.` });
        expect(error?.message).not.toContain(secret.slice(0, 8));
      }
    });

    it('ignores the tags named team, user or key of a key stored before they were refused: it joins no team by them, and says so once', async () => {
      const warned: unknown[] = [];
      const logger = { ...silentLogger, warn: (obj: unknown) => void warned.push(obj) };
      const keys = new KeyStore({ driver: a, hmacSecret: SECRET, config, logger, refreshMs: 100, now: () => now });
      // The admin API refuses such tags now; a row written before still holds them.
      const { key, record } = await keys.create({ tags: { team: 'research', user: 'eve', key: 'other', project: 'x' }, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      const caller = keys.lookup(key);
      expect(caller?.tags).toEqual({ key: record.id, project: 'x' });
      expect(cacheScope(caller?.tags ?? {})).toBe(`key:${record.id}`);
      await keys.create({ tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      expect(warned).toEqual([{ keyId: record.id, tags: ['team', 'user', 'key'] }]);
    });

    it('serves a key stored with tags past the limits, its values cut and the unusable tags left out, and says so once', async () => {
      const warned: Array<{ obj: unknown; msg: string | undefined }> = [];
      const logger = { ...silentLogger, warn: (obj: unknown, msg?: string) => void warned.push({ obj, msg }) };
      const keys = new KeyStore({ driver: a, hmacSecret: SECRET, config, logger, refreshMs: 100, now: () => now });
      // The admin API refuses such tags now; a row written before still holds them.
      const { key, record } = await keys.create({ tags: { project: 'P'.repeat(100_000), 'cost center': 'x' }, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      expect(keys.lookup(key)?.tags).toEqual({ key: record.id, project: 'P'.repeat(256) });
      await keys.create({ tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      expect(warned.filter((w) => (w.obj as { keyId?: string }).keyId === record.id)).toEqual([{ obj: { keyId: record.id, cut: ['project'], leftOut: 1 }, msg: expect.stringContaining('values cut to 256 characters') }]);
      // Listed as stored: the admin sees what to recreate.
      expect((await keys.list()).find((k) => k.id === record.id)?.tags.project).toHaveLength(100_000);
    });

    it('serves a key stored with control characters in its team, owner or a tag value with them replaced, and says so once', async () => {
      const warned: Array<{ obj: unknown; msg: string | undefined }> = [];
      const logger = { ...silentLogger, warn: (obj: unknown, msg?: string) => void warned.push({ obj, msg }) };
      const keys = new KeyStore({ driver: a, hmacSecret: SECRET, config, logger, refreshMs: 100, now: () => now });
      // The admin API refuses such values now; a row written before still holds them.
      const { key, record } = await keys.create({ team: 'search\r\nadmin', owner: 'eve\u202e', tags: { project: 'a\u0007b' }, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      expect(keys.lookup(key)?.tags).toEqual({ key: record.id, team: 'search\uFFFD\uFFFDadmin', user: 'eve\uFFFD', project: 'a\uFFFDb' });
      await keys.create({ tags: {}, role: 'user', budgets: [], rate_limits: {}, metadata: {} }, 'cli:test');
      expect(warned.filter((w) => (w.obj as { keyId?: string }).keyId === record.id).map((w) => w.obj)).toEqual([
        { keyId: record.id, cut: ['project'], leftOut: 0 },
        { keyId: record.id, fields: ['team', 'owner'] },
      ]);
    });

    it('names by id, once, every active key a new config no longer fits (a residency tag or a group it needs gone), and keeps serving it', async () => {
      const policy = { tags: {}, role: 'user' as const, budgets: [], rate_limits: {}, metadata: {} };
      const eu = await store(a).create({ ...policy, residency: 'eu', groups: ['coding'] }, 'cli:test');
      const simple = await store(a).create({ ...policy, groups: ['simple'], models: ['coding'] }, 'cli:test');
      const fits = await store(a).create({ ...policy, groups: ['coding'] }, 'cli:test');
      const lapsed = await store(a).create({ ...policy, residency: 'eu', expires_at: '2025-06-01T12:00:00Z' }, 'cli:test');
      const gone = await store(a).create({ ...policy, residency: 'eu' }, 'cli:test');
      await store(a).revoke(gone.record.id, 'cli:test');
      now = Date.parse('2025-06-01T13:00:00Z');
      // The reloaded config: claude-eu lost its eu tag, and the simple group is gone.
      const reloaded = resolveConfig({ deployments: [rawDeployment('claude-eu'), rawDeployment('gpt-us')], groups: [{ name: 'coding', deployments: ['claude-eu', 'gpt-us'] }] }, {});
      const warned: Array<{ keyId: string; problems: string[] }> = [];
      const logger = { ...silentLogger, warn: (obj: unknown) => void warned.push(obj as { keyId: string; problems: string[] }) };
      const keys = new KeyStore({ driver: a, hmacSecret: SECRET, config: reloaded, logger, refreshMs: 100, now: () => now });
      await keys.refresh();
      const mine = new Set([eu.record.id, simple.record.id, fits.record.id, lapsed.record.id, gone.record.id]);
      const expected = [
        { id: eu.record.id, problems: ['residency: no deployment this key may use is tagged "eu", so every request of it would be refused (residency_violation); tag the deployments that may serve it (tags: [eu])'] },
        { id: simple.record.id, problems: ['groups[0]: unknown group "simple"; known groups: coding'] },
      ].sort((x, y) => (x.id < y.id ? -1 : 1));
      expect(keys.mismatches().filter((m) => mine.has(m.id))).toEqual(expected);
      expect(warned.filter((w) => mine.has(w.keyId))).toEqual(expected.map((m) => ({ keyId: m.id, problems: m.problems })));
      expect(JSON.stringify(warned)).not.toContain(eu.key.slice(16));
      // Still its key: a mismatch is reported, not a revocation.
      expect(keys.lookup(eu.key)?.keyId).toBe(eu.record.id);
      // Keys loaded again (another key made) are not warned of again.
      await store(a).create(policy, 'cli:test');
      await keys.refresh();
      expect(warned.filter((w) => mine.has(w.keyId))).toHaveLength(2);
      now = Date.parse('2025-06-01T00:00:00Z');
    });

    it('bounds what a load says of mismatched keys: the first MISMATCHES_SHOWN by id, one line each, then one line counting the rest', async () => {
      const policy = { tags: {}, role: 'user' as const, budgets: [], rate_limits: {}, metadata: {} };
      for (let i = 0; i < MISMATCHES_SHOWN + 20; i += 1) await store(a).create({ ...policy, groups: ['simple'] }, 'cli:test');
      // The reloaded config drops the simple group: every key above (and any earlier test's that needs it) is stranded.
      const reloaded = resolveConfig({ deployments: [rawDeployment('claude-eu', { tags: ['eu'] })], groups: [{ name: 'coding', deployments: ['claude-eu'] }] }, {});
      const warned: Array<Record<string, unknown>> = [];
      const logger = { ...silentLogger, warn: (obj: unknown) => void warned.push(obj as Record<string, unknown>) };
      const keys = new KeyStore({ driver: a, hmacSecret: SECRET, config: reloaded, logger, refreshMs: 100, now: () => now });
      await keys.refresh();
      const total = keys.mismatchCount;
      expect(total).toBeGreaterThanOrEqual(MISMATCHES_SHOWN + 20);
      const shown = keys.mismatches(MISMATCHES_SHOWN);
      expect(shown.map((m) => m.id)).toEqual(keys.mismatches().slice(0, MISMATCHES_SHOWN).map((m) => m.id));
      expect(shown.map((m) => m.id)).toEqual([...shown.map((m) => m.id)].sort());
      expect(warned.filter((w) => 'problems' in w)).toHaveLength(MISMATCHES_SHOWN);
      expect(warned.filter((w) => 'total' in w)).toEqual([{ keys: total - MISMATCHES_SHOWN, total }]);
    });

    it('answers the admin API with 4xx for bad input, and audits every change in the chain', async () => {
      const audit = new AuditLog(a, () => now);
      const admin = keysAdmin(store(a, audit));
      const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as GatewayError);
      expect(await err(admin.create({ groups: ['nope'] }, 'key:root'))).toMatchObject({ kind: 'invalid_request', param: 'groups[0]' });
      expect(await err(admin.create({ budgets: [{ period: 'weekly', hard_usd: 1 }] }, 'key:root'))).toMatchObject({ kind: 'invalid_request', param: 'budgets.0.period' });
      // A residency none of the key's deployments carries would refuse its every request, as a config key's is refused.
      expect(await err(admin.create({ residency: 'mars' }, 'key:root'))).toMatchObject({ kind: 'invalid_request', param: 'residency', message: expect.stringContaining('tagged "mars"') });
      expect(await err(admin.create({ residency: 'eu', groups: ['simple'] }, 'key:root'))).toMatchObject({ kind: 'invalid_request', param: 'residency' });
      expect(await err(admin.create({ secret: 'mine' }, 'key:root'))).toMatchObject({ kind: 'invalid_request' });
      expect(await err(admin.create([], 'key:root'))).toMatchObject({ kind: 'invalid_request' });
      // A scrape credential lives in the config beside Prometheus' Secret: no virtual key is one.
      expect(await err(admin.create({ role: 'metrics' }, 'key:root'))).toMatchObject({ kind: 'invalid_request', param: 'role', message: expect.stringContaining("not \"metrics\": a scrape credential is set in the config's api_keys") });
      expect(await err(admin.revoke('0123456789ab', 'key:root'))).toMatchObject({ kind: 'not_found' });
      expect(await err(admin.revoke('../etc', 'key:root'))).toMatchObject({ kind: 'invalid_request', param: 'id' });

      const created = await admin.create({ owner: 'bo', rate_limits: { requests_per_minute: 60 }, budgets: [{ period: 'monthly', hard_usd: 50 }] }, 'key:root');
      expect(created).toMatchObject({ owner: 'bo', status: 'active', rate_limits: { requests_per_minute: 60 }, budgets: [{ period: 'monthly', hard_usd: 50 }] });
      await admin.rotate(created.id, 'key:root');
      await admin.revoke(created.id, 'key:root');
      expect((await admin.list()).data.find((k) => k.id === created.id)).toMatchObject({ status: 'revoked' });
      expect(JSON.stringify(await admin.list())).not.toMatch(/sy-[0-9a-f]{12}-/);

      const actions: string[] = [];
      for await (const page of audit.entries()) for (const e of page) if (e.subject === `key:${created.id}`) actions.push(`${e.actor} ${e.action}`);
      expect(actions).toEqual(['key:root key.created', 'key:root key.rotated', 'key:root key.revoked']);
      expect((await audit.verify()).broken).toBeUndefined();
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sy-keys-'));
keysSuite('SQLite', () => openSqlite(join(dir, 'ledger.sqlite')), 1, async () => rmSync(dir, { recursive: true, force: true }));

const PG_URL = DATABASE_URL;
if (PG_URL) {
  const schema = testSchema('keys');
  keysSuite('PostgreSQL', () => openPostgres(PG_URL, schema, silentLogger), 2, async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
} else {
  describe.skip('virtual keys on PostgreSQL (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
