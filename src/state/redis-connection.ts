import { Cluster, Redis, type ClusterOptions, type DNSLookupFunction, type RedisOptions } from 'ioredis';
import { clusterUrlProblem } from './cluster-url.js';

/** A connection to one Redis server, or to a Redis Cluster (a connection per node, commands routed by slot). */
export type RedisClient = Redis | Cluster;

/** Where a store's Redis is: `state.redis_url` and `state.redis_mode`. */
export interface RedisTarget {
  /** redis:// or rediss:// URL: the server, or with `cluster` any node of the cluster (a configuration endpoint). */
  url?: string;
  /** The URL names a Redis Cluster (`state.redis_mode: cluster`): its slot map decides which node takes each key. */
  cluster?: boolean;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** A node whose connection closed connects again after 50 ms, 100 ms... at most this long apart. */
const NODE_RETRY_MAX_MS = 1_000;

/**
 * How often a cluster client reads the slot map again. Its node connections reconnect on their own (so an
 * outage ends when its node answers again, `redis-health.ts`) rather than dropping a lost node and waiting
 * for a MOVED: a failover's new primary is then found by this refresh.
 */
const SLOTS_REFRESH_MS = 5_000;

/** A lookup that keeps the name: a TLS connection is then made to the name its certificate carries. */
const byName: DNSLookupFunction = (hostname, callback) => callback(null, hostname);

/** Whether `client` is a Redis Cluster client. */
export const isCluster = (client: RedisClient): client is Cluster => client instanceof Cluster;

/**
 * A client for `target`: ioredis' `Redis` with `options`, or for a cluster its `Cluster` with `options`
 * for every node connection (plus the URL's user, password and TLS) and `clusterOptions` for the routing.
 */
export function openRedis(target: RedisTarget, options: RedisOptions, clusterOptions: ClusterOptions = {}): RedisClient {
  const url = target.url ?? DEFAULT_URL;
  if (target.cluster !== true) return new Redis(url, options);
  const entry = clusterEntry(url);
  return new Cluster([{ host: entry.host, port: entry.port }], {
    clusterNodeRetryStrategy: (times: number) => Math.min(50 * times, NODE_RETRY_MAX_MS),
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    // ioredis resolves the entry's name to an address first; over TLS the certificate names the host (an
    // ElastiCache configuration endpoint), so it connects by name, as ioredis' README says for ElastiCache.
    ...(entry.tls ? { dnsLookup: byName } : {}),
    ...clusterOptions,
    redisOptions: { ...options, ...entry.auth, ...(entry.tls ? { tls: {} } : {}) },
  });
}

/** What a cluster client takes from the URL: one node to read the slot map from, the credentials, TLS. */
function clusterEntry(text: string): { host: string; port: number; tls: boolean; auth: { username?: string; password?: string } } {
  const url = new URL(text);
  const problem = clusterUrlProblem(url);
  // Never quotes the URL: it may hold a password.
  if (problem !== undefined) throw new Error(`Redis Cluster URL: ${problem}`);
  const auth = url.username || url.password ? { username: decodeURIComponent(url.username) || undefined, password: decodeURIComponent(url.password) } : {};
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 6379, tls: url.protocol === 'rediss:', auth };
}
