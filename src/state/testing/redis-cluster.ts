import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';

/** The Redis Cluster the specs share (`.ci/run` starts three primaries on 7001-7003); unset: cluster specs skip. */
export const REDIS_CLUSTER_URL = process.env.REDIS_CLUSTER_URL;

/** An admin connection to the cluster at `url`, for what specs look at or clean up. */
export function adminCluster(url: string): Cluster {
  const u = new URL(url);
  return new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }]);
}

/** Deletes every key matching `pattern` on every primary (KEYS answers for one node only). */
export async function deleteKeys(cluster: Cluster, pattern: string): Promise<void> {
  if (cluster.status !== 'ready') await new Promise((resolve) => cluster.once('ready', resolve));
  for (const node of cluster.nodes('master')) {
    const keys = await node.keys(pattern);
    // One DEL per key: a node refuses keys of several slots in one command.
    for (const key of keys) await node.del(key);
  }
}

/** One node of a cluster a spec started: its process can be killed, paused and started again. */
export interface ClusterNodeProcess {
  readonly port: number;
  /** SIGKILL: the node is gone, its connections reset. */
  kill(): Promise<void>;
  /** SIGSTOP: the node holds its connections open and answers nothing (a partition). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Starts it again after `kill`, with its cluster config file: it takes back its slots. */
  start(): Promise<void>;
}

export interface LocalCluster {
  /** redis:// (rediss:// with `tls`) URL of the first node, with the user and password of `auth`. */
  readonly url: string;
  readonly nodes: readonly ClusterNodeProcess[];
  /** The node whose slots hold `key` (a hash tag such as `{budget}` counts, as Redis reads it). */
  nodeOf(key: string): Promise<ClusterNodeProcess>;
  close(): Promise<void>;
}

export interface LocalClusterOptions {
  masters?: number;
  nodeTimeoutMs?: number;
  /** Every node takes commands only from this ACL user. */
  auth?: { user: string; password: string };
  /**
   * Every node speaks TLS only, to clients and on the cluster bus, with this certificate (PEM files), and
   * announces itself by `hostname`, as ElastiCache's nodes do.
   */
  tls?: { cert: string; key: string; ca: string; hostname: string };
}

/**
 * A throwaway Redis Cluster (no replicas, nothing persisted) on free loopback ports, for specs that kill
 * or pause a node, or need auth or TLS: the shared one on 7001-7003 must stay whole for the others.
 */
export async function startLocalCluster(o: LocalClusterOptions = {}): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < (o.masters ?? 3)) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    // The cluster bus listens on port + 10000.
    if (!ports.includes(port) && (await isFree(port)) && (await isFree(port + 10_000))) ports.push(port);
  }
  const nodes = ports.map((port) => new NodeProcess(port, dir, o));
  const cli = [...(o.auth ? ['--user', o.auth.user, '--pass', o.auth.password] : []), ...(o.tls ? ['--tls', '--cacert', o.tls.ca] : [])];
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await run('redis-cli', [...cli, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await untilClusterOk(ports, o);
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const userinfo = o.auth ? `${o.auth.user}:${o.auth.password}@` : '';
  return {
    url: o.tls ? `rediss://${userinfo}${o.tls.hostname}:${ports[0]}` : `redis://${userinfo}127.0.0.1:${ports[0]}`,
    nodes,
    async nodeOf(key) {
      const admin = connect(ports[0] as number, o);
      try {
        await admin.connect();
        const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await admin.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
        const node = nodes.find((n) => n.port === owner);
        if (!node) throw new Error(`no node holds slot ${slot}`);
        return node;
      } finally {
        admin.disconnect();
      }
    },
    async close() {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An admin connection to one node, with the cluster's auth and TLS; connected by `connect()`. */
function connect(port: number, o: LocalClusterOptions): Redis {
  const redis = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    ...(o.auth ? { username: o.auth.user, password: o.auth.password } : {}),
    ...(o.tls ? { tls: { ca: readFileSync(o.tls.ca), servername: o.tls.hostname } } : {}),
  });
  redis.on('error', () => undefined);
  return redis;
}

class NodeProcess implements ClusterNodeProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly o: LocalClusterOptions,
  ) {}

  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    const { auth, tls } = this.o;
    const args = ['--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, `nodes-${this.port}.conf`), '--cluster-node-timeout', String(this.o.nodeTimeoutMs ?? 2_000)];
    args.push('--save', '', '--appendonly', 'no', '--dir', this.dir, '--logfile', join(this.dir, `redis-${this.port}.log`));
    if (tls) {
      args.push('--port', '0', '--tls-port', String(this.port), '--tls-cluster', 'yes', '--tls-auth-clients', 'no', '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca);
      args.push('--cluster-announce-hostname', tls.hostname, '--cluster-preferred-endpoint-type', 'hostname');
    } else {
      args.push('--port', String(this.port));
    }
    // No default user: only the ACL user gets in.
    if (auth) args.push('--user', 'default', 'off', '--user', auth.user, 'on', `>${auth.password}`, '~*', '&*', '+@all');
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i += 1) {
      if (await answers(this.port, this.o)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }
}

async function answers(port: number, o: LocalClusterOptions): Promise<boolean> {
  const probe = connect(port, o);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Waits until every node says `cluster_state:ok`. */
async function untilClusterOk(ports: readonly number[], o: LocalClusterOptions, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(ports.map((p) => clusterState(p, o)));
    if (states.every((s) => s === 'ok')) return;
    if (Date.now() > deadline) throw new Error(`the cluster is not ok: ${states.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function clusterState(port: number, o: LocalClusterOptions): Promise<string> {
  const admin = connect(port, o);
  try {
    await admin.connect();
    const info = String(await admin.call('CLUSTER', 'INFO'));
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'down';
  } finally {
    admin.disconnect();
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

/**
 * A throwaway CA and a certificate it signed for `hostname` alone (no IP address), in `dir`, made with the
 * openssl command; undefined where openssl is missing.
 */
export function makeCertificates(dir: string, hostname: string): { ca: string; cert: string; key: string } | undefined {
  const ssl = (args: string[]): boolean => spawnSync('openssl', args, { cwd: dir, stdio: 'ignore' }).status === 0;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'san.cnf'), `subjectAltName=DNS:${hostname}\n`);
  const made =
    ssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=switchyard-test-ca']) &&
    ssl(['req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', `/CN=${hostname}`]) &&
    ssl(['x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.pem', '-days', '2', '-extfile', 'san.cnf']);
  return made ? { ca: join(dir, 'ca.pem'), cert: join(dir, 'node.pem'), key: join(dir, 'node.key') } : undefined;
}
