import type { Logger } from '../core/logger.js';
import type { ReloadResult, WorkerReload } from '../ops/reload.js';

/** What the primary asks a worker to do, and answer with what it applied: reload the config file (`WorkerShared.answerReload`). */
export const RELOAD_TOPIC = 'reload';

/**
 * How long the primary waits for each worker's reload: its read of the file, its build, the carry-over of
 * routing state, perhaps after a reload it was running already. A later worker is reported as unconfirmed.
 */
export const WORKER_RELOAD_MS = 30_000;

/** What a worker tells the primary of a reload it carried out (a summary: the calling worker's answer holds the full diff). */
export function reloadTold(result: ReloadResult): { version: string | undefined; deployments: number; changes: string } {
  return { version: result.version, deployments: result.deployments, changes: result.changes.summary };
}

/** Another listening worker the primary can have reload. */
export interface ReloadWorker {
  readonly id: number;
  reload(timeoutMs: number): Promise<unknown>;
}

/** Has each of `workers` reload, all at once, and says what each applied or why it did not; never rejects. */
export function reloadWorkers(workers: readonly ReloadWorker[], timeoutMs = WORKER_RELOAD_MS): Promise<WorkerReload[]> {
  return Promise.all(
    workers.map((w) =>
      w.reload(timeoutMs).then(
        (told) => asWorkerReload(w.id, told),
        (err: unknown): WorkerReload => ({ worker: w.id, reloaded: false, error: (err as Error).message }),
      ),
    ),
  );
}

function asWorkerReload(worker: number, told: unknown): WorkerReload {
  const t = typeof told === 'object' && told !== null ? (told as Record<string, unknown>) : {};
  const version = typeof t.version === 'string' ? t.version : undefined;
  if (typeof t.deployments === 'number' && typeof t.changes === 'string') return { worker, reloaded: true, version, deployments: t.deployments, changes: t.changes };
  return { worker, reloaded: false, error: 'the worker answered the reload with no result' };
}

/**
 * An admin reload under `--workers`: worker `self` reloads (`own`: an invalid file refuses the whole
 * reload, as in one process), then has every other worker reload (`others`, through the primary). The
 * answer lists what each worker applied, and is `partial` when one refused, did not confirm in time, or
 * applied another version of the file.
 */
export async function reloadPod(self: number, own: () => Promise<ReloadResult>, others: () => Promise<WorkerReload[]>, logger: Logger): Promise<ReloadResult> {
  const done = await own();
  let theirs: WorkerReload[] | undefined;
  try {
    theirs = await others();
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'the other workers could not be asked to reload');
  }
  const workers: WorkerReload[] = [{ worker: self, reloaded: true, ...reloadTold(done) }, ...(theirs ?? [])];
  // A worker on another version read the file after a further edit: the pod does not run one file.
  const partial = theirs === undefined || theirs.some((w) => !w.reloaded || w.version !== done.version);
  return { ...done, workers, ...(partial && { partial: true as const }) };
}
