import type { RedisCommander } from 'ioredis';
import { unreachedError } from '../core/held-writes.js';
import type { Logger } from '../core/logger.js';
import type { Script } from './lua-script.js';
import { isCluster, openRedis, type RedisClient, type RedisTarget } from './redis-connection.js';
import { watchOutages, type OutageWatch } from './redis-health.js';

/**
 * How long a command on a connection requests wait on (rate limits, budgets, the response cache) may
 * take before Redis counts as down. Their commands answer in well under a millisecond; a Redis that
 * stops answering without closing the connection (a partition, a blackholed failover address,
 * `CLIENT PAUSE`) never errors, and would otherwise hold every request until its client gave up.
 */
export const COMMAND_TIMEOUT_MS = 300;

/** ioredis' own timeout, for the reconnect's ready check: never before ours decides on a command. */
const READY_CHECK_TIMEOUT_MS = 1_000;

export interface FailOpenRedisOptions extends RedisTarget {
  /**
   * A connection to use instead of `url` (not closed by `close`). It is reconnected when a command times
   * out; give it `autoResendUnfulfilledCommands: false` (a cluster's node connections too, and the cluster
   * `retryDelayOnFailover: 0`), or a command that timed out or was cut off is sent again.
   */
  client?: RedisClient;
  logger?: Logger;
  /** How long a command may take before Redis counts as down; `COMMAND_TIMEOUT_MS` by default. */
  commandTimeoutMs?: number;
}

/**
 * A Redis connection that requests wait on and that fails open: while Redis is known to be down every
 * command fails at once (an `unreached` error), so an outage costs requests no latency. A command
 * unanswered after `commandTimeoutMs` fails and starts an outage too; the connection, which may be
 * stalled without ever erroring, is dropped and made again, and the outage ends when it is ready.
 * On a Redis Cluster a node's outage is the connection's: it ends once every primary's connection is
 * ready again (`redis-health.ts`). An outage is logged once, as `<name>: Redis unreachable`, and its end too.
 */
export class FailOpenRedis {
  readonly redis: RedisClient;
  private readonly owned: boolean;
  private readonly health: OutageWatch;
  private readonly timeoutMs: number;

  constructor(
    o: FailOpenRedisOptions,
    private readonly name: string,
  ) {
    this.owned = o.client === undefined;
    this.timeoutMs = o.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
    this.redis =
      o.client ??
      openRedis(
        o,
        {
          // A connection that closes fails what is on it at once, rather than after the timeout.
          maxRetriesPerRequest: 0,
          // Bounds the reconnect's ready check too, so a stalled server is tried again rather than waited on;
          // longer than ours, whose check tolerates a busy event loop (below), so it never decides first.
          commandTimeout: Math.max(READY_CHECK_TIMEOUT_MS, 3 * this.timeoutMs),
          // A command cut off may have been applied: never sent again (`core/held-writes.ts`).
          autoResendUnfulfilledCommands: false,
          // A stalled socket never finishes a graceful close: destroyed soon, so the reconnect starts.
          disconnectTimeout: this.timeoutMs,
        },
        {
          // Nor by the cluster client: it would send a command cut off by a closed node connection again.
          retryDelayOnFailover: 0,
          // A cluster refusing commands (CLUSTERDOWN) fails them at once, rather than holding requests.
          // MOVED and ASK (a slot that moved or is moving) are followed: the command had not run.
          retryDelayOnClusterDown: 0,
        },
      );
    this.health = watchOutages(this.redis, o.logger, name);
  }

  /** Throws while Redis is known to be down: an `unreached` error, the command never sent (`core/held-writes.ts`). */
  check(): void {
    if (this.health.down) throw unreachedError(`${this.name}: Redis unreachable`);
  }

  /** Runs `command` unless Redis is known to be down; fails after the command timeout, which starts an outage. */
  async call<T>(command: (redis: RedisCommander) => Promise<T>): Promise<T> {
    this.check();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      // Decided after the loop's next poll: an event loop busy past the timeout runs timers before it
      // reads the sockets, and a reply already waiting there would be taken for a stalled Redis.
      const expire = (): void => reject(new CommandTimedOut(`${this.name}: Redis did not answer within ${this.timeoutMs} ms`));
      timer = setTimeout(() => setImmediate(expire), this.timeoutMs);
    });
    try {
      return await Promise.race([command(this.redis), expired]);
    } catch (err) {
      if (isTimeout(err)) this.timedOut(err);
      // A cluster node taken for one server answers every key of another node's slots so: say what to set.
      if (err instanceof Error && /^(MOVED|ASK) /.test(err.message) && !isCluster(this.redis)) {
        throw new Error(`${this.name}: this Redis is a node of a Redis Cluster (it answered ${err.message.split(' ')[0]}): set state.redis_mode: cluster`);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private timedOut(err: Error): void {
    // A stalled connection may never error: drop it, with what is still on it, and connect again.
    if (this.health.fail(err)) this.health.reconnect();
  }

  /** Closes the connection it made, within the command timeout (`quitWithin`). */
  async close(): Promise<void> {
    if (this.owned) await quitWithin(this.redis, this.timeoutMs);
  }
}

/**
 * Closes a connection gracefully (QUIT, so the commands sent before it are answered first) within `ms`:
 * a stalled Redis never answers a QUIT, and shutdown must not wait on it, so past the deadline, or at
 * once when the connection is not ready, the socket is dropped.
 */
export async function quitWithin(redis: RedisClient, ms: number): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    const quit = await Promise.race([redis.quit().then(() => true, () => false), late]);
    if (!quit) redis.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

class CommandTimedOut extends Error {}

/** Our own timeout's error, or ioredis' `commandTimeout`'s. */
const isTimeout = (err: unknown): err is Error => err instanceof CommandTimedOut || (err instanceof Error && err.message === 'Command timed out');

export interface RedisCountersOptions extends FailOpenRedisOptions {
  logger: Logger;
}

/** The fail-open connection behind shared counters (rate limits, budgets), whose scripts it runs. */
export class RedisCounters extends FailOpenRedis {
  /** Runs a Lua script, loading it first when Redis forgot it (a restart). */
  run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.call(async (redis) => {
      try {
        return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
        return redis.eval(s.lua, keys.length, ...keys, ...args);
      }
    });
  }
}
