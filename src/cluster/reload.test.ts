import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { GatewayError } from '../core/errors.js';
import { createGateway } from '../gateway/gateway.js';
import { AppHolder, type Reloadable, type WorkerReload } from '../ops/reload.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { reloadPod, reloadTold, reloadWorkers, type ReloadWorker } from './reload.js';

/** The config file as it is now: its version's name and the deployments it lists. */
let file: { version: string; ids: string[] };
const configOf = (ids: string[]): GatewayConfig => resolveConfig({ deployments: ids.map((id) => rawDeployment(id)), groups: [{ name: 'chat', deployments: ids }] });
const app = (config: GatewayConfig): Reloadable => {
  const gateway = createGateway(config, { createProvider: (d) => new FakeProvider(d.id) });
  return { gateway, close: () => gateway.close() };
};

/** One worker's holder, reading `file`; its next build waits for `release` when `held`. */
function workerHolder(held = false) {
  let release = (): void => undefined;
  let gate: Promise<void> | undefined = held ? new Promise<void>((r) => (release = r)) : undefined;
  let read = '';
  const holder = new AppHolder(app(configOf(['a'])), {
    load: () => {
      read = file.version;
      return configOf(file.ids);
    },
    version: () => read,
    build: async (c) => {
      const waiting = gate;
      gate = undefined;
      await waiting;
      return app(c);
    },
    logger: silentLogger,
    retireAfterMs: 0,
  });
  return { holder, release: () => release(), running: () => holder.current.gateway.config.deployments.map((d) => d.id) };
}

/** A worker the primary can ask to reload, as `answerReload` answers: the holder's result, told. */
const asked = (id: number, holder: AppHolder<Reloadable>, then: () => void = () => undefined): ReloadWorker => ({
  id,
  reload: () => {
    const done = holder.reload().then(reloadTold);
    then();
    return done;
  },
});

describe('an admin reload under --workers', () => {
  it('ends every worker on the newest file, even one mid-reload of an older version, and answers with what each applied', async () => {
    const one = workerHolder();
    const two = workerHolder(true);
    // A first reload reached worker 2, which is still building from version B...
    file = { version: 'B', ids: ['a', 'b'] };
    const first = two.holder.reload();
    // ...when the file becomes C (user2's key removed, say) and worker 1 is asked to reload.
    file = { version: 'C', ids: ['b'] };
    const answer = await reloadPod(1, () => one.holder.reload(), () => reloadWorkers([asked(2, two.holder, two.release)]), silentLogger);
    expect((await first).version).toBe('B');
    expect(answer.version).toBe('C');
    expect(answer.changes).toMatchObject({ removed: ['deployments.a'], added: ['deployments.b'] });
    expect(answer.workers).toEqual([
      { worker: 1, reloaded: true, version: 'C', deployments: 1, changes: answer.changes.summary },
      { worker: 2, reloaded: true, version: 'C', deployments: 1, changes: expect.any(String) },
    ]);
    expect(answer.partial).toBeUndefined();
    expect([one.running(), two.running()]).toEqual([['b'], ['b']]);
  });

  it('is partial, saying why, when a worker refused the file, did not answer in time, or applied another version', async () => {
    file = { version: 'C', ids: ['b'] };
    const one = workerHolder();
    const others: ReloadWorker[] = [
      { id: 2, reload: async () => Promise.reject(new GatewayError({ kind: 'invalid_request', status: 422, code: 'invalid_config', message: 'Config reload refused, the running config stays: x' })) },
      { id: 3, reload: async (ms) => Promise.reject(new Error(`the worker did not answer reload within ${ms} ms`)) },
      { id: 4, reload: async () => ({ version: 'D', deployments: 1, changes: '1 change in groups' }) },
      { id: 5, reload: async () => 'not a result' },
    ];
    const answer = await reloadPod(1, () => one.holder.reload(), () => reloadWorkers(others, 30_000), silentLogger);
    expect(answer.partial).toBe(true);
    expect(answer.workers?.slice(1)).toEqual<WorkerReload[]>([
      { worker: 2, reloaded: false, error: 'Config reload refused, the running config stays: x' },
      { worker: 3, reloaded: false, error: 'the worker did not answer reload within 30000 ms' },
      { worker: 4, reloaded: true, version: 'D', deployments: 1, changes: '1 change in groups' },
      { worker: 5, reloaded: false, error: 'the worker answered the reload with no result' },
    ]);
  });

  it('is partial, listing only itself and logging why, when the primary cannot be asked', async () => {
    file = { version: 'C', ids: ['b'] };
    const lines: unknown[] = [];
    const answer = await reloadPod(1, () => workerHolder().holder.reload(), async () => Promise.reject(new Error('shared state unavailable')), { ...silentLogger, error: (obj: unknown) => void lines.push(obj) });
    expect(answer).toMatchObject({ partial: true, workers: [{ worker: 1, reloaded: true, version: 'C' }] });
    expect(lines).toEqual([{ err: 'shared state unavailable' }]);
  });

  it('asks no other worker when its own reload is refused: the same file would be refused there too', async () => {
    file = { version: 'C', ids: [] };
    let asks = 0;
    const others = async (): Promise<WorkerReload[]> => {
      asks += 1;
      return [];
    };
    const answer = reloadPod(1, () => workerHolder().holder.reload(), others, silentLogger);
    await expect(answer).rejects.toMatchObject({ status: 422, code: 'invalid_config' });
    expect(asks).toBe(0);
  });
});
