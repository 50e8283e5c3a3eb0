import type { Cluster, Redis } from 'ioredis';
import { errorMessage } from '../core/error-trace.js';
import { trustHint } from '../core/tls-trust.js';
import type { Logger } from '../core/logger.js';
import { isCluster, type RedisClient } from './redis-connection.js';

/** Whether a Redis connection is known to be down, kept by `watchOutages`. */
export interface RedisHealth {
  readonly down: boolean;
}

/** A connection's outages, as `watchOutages` keeps them. */
export interface OutageWatch extends RedisHealth {
  /** Marks the connection down; true when it was up (the outage is logged then, once). */
  fail(err: Error): boolean;
  /** Drops what may be stalled (a connection that never errors) for new connections, whose readiness ends the outage. */
  reconnect(): void;
}

/** How often a cluster's outage is looked at again besides its nodes' events. */
const RECHECK_MS = 1_000;

/** Logs an outage once, and its end. */
abstract class Watch implements OutageWatch {
  down = false;

  constructor(
    private readonly logger: Logger | undefined,
    private readonly name: string,
  ) {}

  fail(err: Error): boolean {
    if (this.down) return false;
    this.down = true;
    // A cluster client that read no slot map says why in the last node's error (a Redis without cluster
    // support: `state.redis_mode: cluster` set for one server).
    const cause = (err as { lastNodeError?: unknown }).lastNodeError;
    const hint = trustHint(err) ?? trustHint(cause);
    this.logger?.warn(
      { err: cause instanceof Error ? `${errorMessage(err)} ${errorMessage(cause)}` : errorMessage(err), ...(hint ? { hint } : {}) },
      `${this.name}: Redis unreachable`,
    );
    return true;
  }

  protected up(): void {
    if (this.down) this.logger?.info({}, `${this.name}: Redis is back`);
    this.down = false;
  }

  abstract reconnect(): void;
}

/** One server: down on an error, up again when the connection is ready. */
class ServerWatch extends Watch {
  constructor(
    private readonly redis: Redis,
    logger: Logger | undefined,
    name: string,
  ) {
    super(logger, name);
    redis.on('error', (err: Error) => this.fail(err));
    redis.on('ready', () => this.up());
  }

  reconnect(): void {
    if (this.redis.status === 'ready') this.redis.disconnect(true);
  }
}

/**
 * A cluster: down on any node connection's error (or the cluster's own: no node gave the slot map), up
 * again once every primary's connection is ready. Which node a command goes to is ioredis' choice, so
 * one node down is the whole cluster down for this connection's requests, as one server down is; they
 * fail open at once rather than each waiting out the command timeout on the lost node's slots.
 */
class ClusterWatch extends Watch {
  private timer: NodeJS.Timeout | undefined;
  /** Node connections that failed or were dropped, until each is ready again. */
  private readonly waiting = new Set<Redis>();

  constructor(
    private readonly cluster: Cluster,
    logger: Logger | undefined,
    name: string,
  ) {
    super(logger, name);
    cluster.on('error', (err: Error) => this.fail(err));
    cluster.on('ready', () => this.recover());
    // A node dropped from the slot map (a failed primary replaced) no longer holds the outage.
    cluster.on('-node', (node: Redis) => {
      this.waiting.delete(node);
      this.recover();
    });
    cluster.on('+node', (node: Redis) => this.watchNode(node));
    for (const node of cluster.nodes()) this.watchNode(node);
  }

  override fail(err: Error): boolean {
    const first = super.fail(err);
    // Each node's 'ready' ends an outage, but a node can leave the primaries without an event (a failed
    // primary back as a replica): looked at again every second too, so an outage never outlasts its cause.
    if (first && this.timer === undefined) {
      this.timer = setInterval(() => this.recover(), RECHECK_MS);
      this.timer.unref();
    }
    return first;
  }

  private watchNode(node: Redis): void {
    node.on('error', (err: Error) => {
      this.waiting.add(node);
      this.fail(err);
    });
    node.on('ready', () => {
      this.waiting.delete(node);
      this.recover();
    });
  }

  private recover(): void {
    // A closed client is not looked at again.
    if (this.cluster.status === 'end') return this.stopLooking();
    if (!this.down || !this.healthy()) return;
    this.up();
    this.stopLooking();
  }

  private stopLooking(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The cluster is connected, every dropped connection ready again, and every primary's ready (or not opened yet). */
  private healthy(): boolean {
    return this.cluster.status === 'ready' && this.waiting.size === 0 && this.cluster.nodes('master').every((n) => n.status === 'ready' || n.status === 'wait');
  }

  reconnect(): void {
    // The stalled node is unknown (the slot map is ioredis'): every primary connects again, the healthy
    // ones within a round trip; each node's own retry strategy reconnects it (`redis-connection.ts`). A
    // stalled socket still reads as ready until its close times out, so each counts until it is ready anew.
    for (const node of this.cluster.nodes('master')) {
      if (node.status !== 'ready') continue;
      this.waiting.add(node);
      node.disconnect(true);
    }
  }
}

/**
 * Watches a connection's outages and logs each once, `<name>: Redis unreachable` and `<name>: Redis is
 * back`. The error listeners are also what keep ioredis from printing a raw stack trace per failed reconnect.
 */
export function watchOutages(redis: RedisClient, logger: Logger | undefined, name: string): OutageWatch {
  return isCluster(redis) ? new ClusterWatch(redis, logger, name) : new ServerWatch(redis, logger, name);
}
