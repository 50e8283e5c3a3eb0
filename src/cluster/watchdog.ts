import type { Logger } from '../core/logger.js';
import type { RpcClient } from './rpc.js';

/**
 * The primary's ask of a worker's liveness. The worker answers it from its event loop (the ask arrives
 * as an IPC message event there), so a loop held by an endless loop, a pathological regex or a stuck
 * synchronous call cannot answer, while it keeps its share of the listening socket.
 */
export const PING_TOPIC = 'ping';

/**
 * How often the primary pings each listening worker: one small IPC message each way per worker, nothing
 * a worker under load would notice.
 */
export const PING_EVERY_MS = 5_000;

/**
 * How long a worker may leave pings unanswered before it is killed. Far past anything a healthy loop
 * holds still for (a major GC pause, under 1-2 s on large heaps; a 1 s synchronous SQLite checkpoint; a
 * reload building its app), and in line with a Kubernetes liveness probe's default reach (3 failures
 * 10 s apart): a hung worker is killed 30-35 s after it hung (its next ping, then 30 s), where the probe,
 * landing on it only 1 time in N, might never restart the pod. Constants, not config: the config has no
 * cluster section.
 */
export const UNANSWERED_KILL_MS = 30_000;

/** How the watchdog reaches the workers, so its spec can stand in for `node:cluster`. */
export interface WatchdogPort {
  /** Asks worker `id` for a pong; resolves when it answers, rejects when it cannot be asked or did not answer within `timeoutMs`. */
  ping(id: number, timeoutMs: number): Promise<unknown>;
  /** Kills worker `id` with SIGKILL: SIGTERM would wait on the very event loop that is stuck. */
  kill(id: number): void;
  logger: Logger;
  now?: () => number;
  /** `PING_EVERY_MS` unless given. */
  everyMs?: number;
  /** `UNANSWERED_KILL_MS` unless given. */
  killAfterMs?: number;
}

interface Watched {
  pid: number | undefined;
  /**
   * When the first ping it has not answered went out (undefined: it answered the last one), moved on by
   * any time the primary itself stood still.
   */
  unansweredSince: number | undefined;
  /** A ping is on its way: one at a time, so a stopped worker's channel does not fill with them. */
  asking: boolean;
}

/**
 * Pings every listening worker each `everyMs` and SIGKILLs one that left a ping unanswered for `killAfterMs`; the
 * primary's restart policy then replaces it, as after any crash. Only workers the primary was told
 * listen are watched (one still starting may hold its loop building its app), none once `stop` is called
 * (a drain, an exit on purpose), and one is forgotten when it exits or leaves the cluster.
 */
export class Watchdog {
  private readonly watched = new Map<number, Watched>();
  private readonly now: () => number;
  private readonly everyMs: number;
  private readonly killAfterMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private stopped = false;

  constructor(private readonly port: WatchdogPort) {
    this.now = port.now ?? Date.now;
    this.everyMs = port.everyMs ?? PING_EVERY_MS;
    this.killAfterMs = port.killAfterMs ?? UNANSWERED_KILL_MS;
  }

  /** Starts watching worker `id`, which now listens (again: a second server of the same worker changes nothing). */
  watch(id: number, pid: number | undefined): void {
    if (this.stopped || this.watched.has(id)) return;
    this.watched.set(id, { pid, unansweredSince: undefined, asking: false });
    if (this.timer) return;
    this.lastTick = this.now();
    this.timer = setInterval(() => this.tick(), this.everyMs);
    // The workers keep the primary alive, not its watchdog.
    this.timer.unref();
  }

  /** Stops watching worker `id`: it exited, or left the cluster. */
  forget(id: number): void {
    this.watched.delete(id);
  }

  /** Watches no worker any more, nor any that starts listening later: the primary is stopping them. */
  stop(): void {
    this.stopped = true;
    this.watched.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = this.now();
    // A primary held up itself (its own GC, a starved CPU) runs this timer before reading the answers
    // queued meanwhile: the time it could not listen is not held against the workers.
    const held = now - this.lastTick - this.everyMs;
    this.lastTick = now;
    for (const [id, w] of this.watched) {
      if (held > 0 && w.unansweredSince !== undefined) w.unansweredSince += held;
      const unansweredMs = w.unansweredSince === undefined ? 0 : now - w.unansweredSince;
      if (unansweredMs >= this.killAfterMs) this.kill(id, w, unansweredMs);
      else this.ask(id, w, now);
    }
  }

  private ask(id: number, w: Watched, now: number): void {
    if (w.asking) return;
    w.asking = true;
    w.unansweredSince ??= now;
    // A failed ask (its own timeout, which a stall of the primary can run before the answer is read)
    // only frees the slot for the next ping: the worker is still silent since its first unanswered one.
    this.port.ping(id, this.killAfterMs).then(
      () => {
        w.asking = false;
        w.unansweredSince = undefined;
      },
      () => void (w.asking = false),
    );
  }

  private kill(id: number, w: Watched, unansweredMs: number): void {
    this.watched.delete(id);
    this.port.logger.error({ worker: id, pid: w.pid, unansweredMs, killAfterMs: this.killAfterMs }, 'worker stopped answering (its event loop is blocked): killing it (SIGKILL)');
    this.port.kill(id);
  }
}

/** Has a worker answer the primary's pings: from its event loop, with nothing to compute or read. */
export function answerPings(rpc: Pick<RpcClient, 'onAsk'>): void {
  rpc.onAsk(PING_TOPIC, pong);
}

const pong = async (): Promise<null> => null;
