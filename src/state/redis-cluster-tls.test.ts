import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, REDIS_CLUSTER_URL, startLocalCluster, type LocalCluster } from './testing/redis-cluster.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const clientModule = fileURLToPath(new URL('./redis-client.ts', import.meta.url));
const loggerModule = fileURLToPath(new URL('../core/logger.ts', import.meta.url));
const dir = REDIS_CLUSTER_URL ? mkdtempSync(join(tmpdir(), 'sy-redis-tls-')) : undefined;
// The name the nodes announce and their certificate carries, as ElastiCache's do; no IP address in it.
const certs = dir ? makeCertificates(dir, 'localhost') : undefined;
if (!certs) {
  if (dir) rmSync(dir, { recursive: true, force: true });
  console.warn(`${REDIS_CLUSTER_URL ? 'openssl is missing' : 'REDIS_CLUSTER_URL is not set'}: skipping the Redis Cluster TLS specs`);
}

/**
 * Writes and reads a key of each of three slots (three nodes) through a cluster-mode connection to
 * `url`, in a process of its own: Node trusts a CA only from NODE_EXTRA_CA_CERTS, read at start.
 */
function roundTrip(url: string, ca: string | undefined): Promise<string> {
  const body = [
    `import { RedisCounters } from ${JSON.stringify(clientModule)};`,
    `import { silentLogger } from ${JSON.stringify(loggerModule)};`,
    `const c = new RedisCounters({ url: ${JSON.stringify(url)}, cluster: true, logger: silentLogger, commandTimeoutMs: 1000 }, 'tls spec');`,
    `const out = [];`,
    `for (const k of ['{budget}:k', '{ratelimit}:k', '{state}:k']) out.push(await c.call(async (r) => (await r.set(k, 'v'), r.get(k))).catch((e) => e.message));`,
    `process.stdout.write(JSON.stringify(out));`,
    `await c.close();`,
  ].join('\n');
  const env = { ...process.env, ...(ca ? { NODE_EXTRA_CA_CERTS: ca } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', body], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(out));
  });
}

describe.skipIf(!certs)('a Redis Cluster behind TLS and an ACL user (rediss://user:password@, as ElastiCache in transit encryption)', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalCluster({ auth: { user: 'switchyard', password: 'pw-8cJ2x' }, tls: { ...certs!, hostname: 'localhost' } });
  }, 30_000);
  afterAll(async () => {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes the user, password and TLS from the URL for every node, which it reaches by the name its certificate carries', async () => {
    expect(cluster.url).toBe(`rediss://switchyard:pw-8cJ2x@localhost:${cluster.nodes[0]!.port}`);
    expect(JSON.parse(await roundTrip(cluster.url, certs!.ca))).toEqual(['v', 'v', 'v']);
  }, 20_000);

  it('verifies the certificate: a CA it does not trust gets nothing through', async () => {
    const answers = JSON.parse(await roundTrip(cluster.url, undefined)) as string[];
    expect(answers.filter((a) => a === 'v')).toEqual([]);
  }, 20_000);

  it('refuses a wrong password', async () => {
    const answers = JSON.parse(await roundTrip(cluster.url.replace('pw-8cJ2x', 'wrong'), certs!.ca)) as string[];
    expect(answers.filter((a) => a === 'v')).toEqual([]);
  }, 20_000);
});
