import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../config/schema.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { ADMIN_ROUTES, NO_RELOAD, drainDeployment, listeningAt, type Listening, noticeInterruption, reloadConfig, resetBreaker, showConfig, undrainDeployment, type AdminTarget } from './admin.js';
import type { ReloadResult, WorkerReload } from './reload.js';

const opened: Gateway[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((g) => g.close()));
});

function target(extra: Partial<ConfigInput> = {}): AdminTarget {
  const config: ConfigInput = {
    deployments: [rawDeployment('gpu-spot', { interruptible: true, headers: { 'x-tenant-token': 'tenant-secret-123' } }), rawDeployment('hosted')],
    groups: [{ name: 'chat', deployments: ['gpu-spot', 'hosted'] }],
    api_keys: [{ id: 'ops', key: 'sk-admin-very-secret', role: 'admin' }],
    ...extra,
  };
  const gateway = createGateway(config, { createProvider: (d) => new FakeProvider(d.id) });
  opened.push(gateway);
  return { gateway: () => gateway };
}

const call = (id: string, body?: unknown) => ({ params: { id }, body, actor: 'ops' });

describe('admin operations', () => {
  it('drains and undrains a deployment, with the reason given', async () => {
    const t = target();
    expect(await drainDeployment(t, call('hosted', { reason: 'maintenance window' }))).toMatchObject({ id: 'hosted', drain: { drained: true, reason: 'maintenance window' } });
    expect(await undrainDeployment(t, call('hosted'))).toMatchObject({ drain: { drained: false } });
  });

  it('refuses a body with unknown fields as a 400 naming the field', async () => {
    await expect(drainDeployment(target(), call('hosted', { reason: 'x', force: true }))).rejects.toMatchObject({ kind: 'invalid_request', status: 400 });
    await expect(drainDeployment(target(), call('hosted', { reason: 7 }))).rejects.toMatchObject({ status: 400, param: 'reason' });
  });

  it('drains an interruptible deployment on an interruption notice, naming the deadline', async () => {
    const status = await noticeInterruption(target(), call('gpu-spot', { deadline: '2030-01-01T00:02:00Z', source: 'aws' }));
    expect(status).toMatchObject({ drain: { drained: true, reason: 'interruption notice from aws, capacity goes at 2030-01-01T00:02:00.000Z' } });
  });

  it('refuses an interruption deadline past the last time a date can hold as a 400 naming deadline', async () => {
    const t = target();
    await expect(noticeInterruption(t, call('gpu-spot', { deadline: 9_000_000_000_000_000 }))).rejects.toMatchObject({ kind: 'invalid_request', status: 400, code: 'invalid_value', param: 'deadline' });
    expect(t.gateway().status().deployments.find((d) => d.id === 'gpu-spot')?.drain.drained).toBe(false);
    expect(await noticeInterruption(t, call('gpu-spot', { deadline: 8.64e15 }))).toMatchObject({ drain: { drained: true, reason: 'interruption notice, capacity goes at +275760-09-13T00:00:00.000Z' } });
  });

  it('refuses an interruption notice for a deployment not marked interruptible (409)', async () => {
    const t = target();
    await expect(noticeInterruption(t, call('hosted', {}))).rejects.toMatchObject({ status: 409, code: 'not_interruptible' });
    expect(t.gateway().status().deployments.find((d) => d.id === 'hosted')?.drain.drained).toBe(false);
  });

  it('answers 404 for an unknown deployment or breaker', async () => {
    await expect(drainDeployment(target(), call('nope'))).rejects.toMatchObject({ status: 404, code: 'unknown_deployment' });
    await expect(resetBreaker(target(), call('nope'))).rejects.toMatchObject({ status: 404 });
    await expect(noticeInterruption(target(), call('nope'))).rejects.toMatchObject({ status: 404 });
  });

  it('answers 404 for an unknown deployment without quoting the id: a key pasted where it goes does not come back', async () => {
    const pasted = 'sy-0123456789ab-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCd';
    for (const op of [drainDeployment, undrainDeployment, noticeInterruption, resetBreaker]) {
      const error = await op(target(), call(pasted)).then(() => undefined, (err: unknown) => err as Error);
      expect(error).toMatchObject({ status: 404, code: 'unknown_deployment', message: 'No deployment has that id (GET /v1/switchyard/status lists them).' });
    }
  });

  it('refuses fields in the body of a breaker reset or a reload, which take none: a 400 before acting, since the audit log keeps the body as the action\'s details', async () => {
    const t = target();
    await expect(resetBreaker(t, call('hosted', { note: 'x'.repeat(1000) }))).rejects.toMatchObject({ kind: 'invalid_request', status: 400, code: 'invalid_value' });
    await expect(resetBreaker(t, call('hosted', ['anything']))).rejects.toMatchObject({ status: 400, code: 'invalid_value' });
    await expect(reloadConfig(t, call('', { path: '/etc/passwd' }))).rejects.toMatchObject({ status: 400, code: 'invalid_value' });
    expect(await resetBreaker(t, call('hosted', {}))).toMatchObject({ id: 'hosted', breaker: { state: 'closed' } });
    expect(await resetBreaker(t, call('hosted'))).toMatchObject({ id: 'hosted' });
  });

  it('shows the running config with every secret redacted', async () => {
    const shown = JSON.stringify(await showConfig(target({ ledger: { enabled: false, store: 'postgres', url: 'postgres://app:pg-pass-456@db/x' } }), call('')));
    expect(shown).toContain('"gpu-spot"');
    for (const secret of ['sk-admin-very-secret', 'tenant-secret-123', 'pg-pass-456']) expect(shown).not.toContain(secret);
    expect(shown).toContain('"x-tenant-token":"[redacted]"');
  });

  it('shows where the process listens in server.host and server.port, and nothing overridden when that is where the config says', async () => {
    const t = target({ server: { host: '0.0.0.0', port: 4000 } });
    expect(await showConfig(t, call(''))).not.toHaveProperty('overridden');
    const same = await showConfig({ ...t, listening: () => listeningAt({ host: undefined, port: undefined }, '0.0.0.0', 4000) }, call(''));
    expect(same).toMatchObject({ server: { host: '0.0.0.0', port: 4000 } });
    expect(same).not.toHaveProperty('overridden');
  });

  it('names what parted the listener from the config: a flag, a free port for port 0, a reload that changed the file', async () => {
    const shown = (server: { host: string; port: number }, listening: Listening) => showConfig({ ...target({ server }), listening: () => listening }, call(''));
    expect(await shown({ host: '0.0.0.0', port: 4000 }, listeningAt({ host: undefined, port: 8088 }, '0.0.0.0', 8088))).toMatchObject({ server: { port: 8088 }, overridden: { 'server.port': { config: 4000, by: '--port' } } });
    expect(await shown({ host: '127.0.0.1', port: 0 }, listeningAt({ host: undefined, port: undefined }, '127.0.0.1', 50123))).toMatchObject({ server: { port: 50123 }, overridden: { 'server.port': { config: 0, by: 'server.port 0: a free port the system chose' } } });
    // Started on 0.0.0.0:4000, then reloaded from a file that now says 127.0.0.1:5000: the listener stays.
    const reloaded = await shown({ host: '127.0.0.1', port: 5000 }, listeningAt({ host: undefined, port: undefined }, '0.0.0.0', 4000));
    expect(reloaded).toMatchObject({ server: { host: '0.0.0.0', port: 4000 } });
    const stays = 'the config the process started with: a reload does not move the listener';
    expect((reloaded as { overridden: unknown }).overridden).toEqual({ 'server.host': { config: '127.0.0.1', by: stays }, 'server.port': { config: 5000, by: stays } });
  });

  it('answers 501 for a reload where the runtime cannot reload, in the runtime\'s words when it has its own', async () => {
    await expect(reloadConfig(target(), call(''))).rejects.toMatchObject({ status: 501, code: 'reload_unsupported', message: NO_RELOAD });
    await expect(reloadConfig({ ...target(), noReload: 'Redeploy.' }, call(''))).rejects.toMatchObject({ status: 501, message: 'Redeploy.' });
  });
});

describe('admin routes', () => {
  it('lists every admin route once, with an audit action and a path the route table matches', () => {
    expect(ADMIN_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/switchyard/deployments/{id}/drain',
      'POST /v1/switchyard/deployments/{id}/undrain',
      'POST /v1/switchyard/deployments/{id}/interruption',
      'POST /v1/switchyard/breakers/{id}/reset',
      'GET /v1/switchyard/config',
      'POST /v1/switchyard/reload',
    ]);
    expect(new Set(ADMIN_ROUTES.map((r) => r.action)).size).toBe(ADMIN_ROUTES.length);
  });

  it("audits a reload with what it changed and, under --workers, what each worker applied and whether one did not", () => {
    const audited = ADMIN_ROUTES.find((r) => r.action === 'config.reloaded')?.audited;
    const changes = { summary: '1 change in api_keys', sections: ['api_keys'], added: [], removed: ['api_keys.user2'], changed: [], more: 0 };
    const one: ReloadResult = { reloaded: true, deployments: 1, restartRequired: [], keysNotMatching: [], keysNotMatchingTotal: 0, changes };
    expect(audited?.(one)).toEqual({ changes });
    const workers: WorkerReload[] = [
      { worker: 1, reloaded: true, version: 'c0ffee', deployments: 1, changes: changes.summary },
      { worker: 2, reloaded: false, error: 'the worker did not answer reload within 30000 ms' },
    ];
    expect(audited?.({ ...one, version: 'c0ffee', workers, partial: true })).toEqual({ changes, version: 'c0ffee', workers, partial: true });
  });
});
