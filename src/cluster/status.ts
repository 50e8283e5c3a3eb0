import type { GatewayStatus } from '../gateway/engine.js';
import { combineStatuses, type ClusterStatus } from './combine-status.js';

/** What the primary asks a worker for its own status (`WorkerShared.answerStatus`). */
export const STATUS_TOPIC = 'status';

/** Another listening worker the primary can ask for its `gateway.status()` over IPC. */
export interface StatusWorker {
  readonly id: number;
  collect(timeoutMs: number): Promise<unknown>;
}

/**
 * The status of `serve --workers N` as one process: `own` is the status of the worker that took the
 * request (sent with its call, so it is always there); each of `others` has `timeoutMs` to give its
 * own. A late or failing worker is left out, which `workers.answered` below `workers.expected` says;
 * nothing waits longer than one timeout.
 */
export async function gatherStatus(own: GatewayStatus, others: readonly StatusWorker[], timeoutMs = 1_000): Promise<ClusterStatus> {
  const answers = await Promise.all(others.map((w) => w.collect(timeoutMs).then((s) => s as GatewayStatus, () => undefined)));
  const statuses = [own, ...answers.filter((s): s is GatewayStatus => s !== undefined)];
  return combineStatuses(statuses, others.length + 1);
}
