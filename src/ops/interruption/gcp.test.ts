import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { drainGraceMs } from '../lifecycle.js';
import { GcpProbe } from './gcp.js';

const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A metadata server whose VM is being preempted, answering `clusterName` with the given status. */
async function preemptedVm(clusterName: number): Promise<string> {
  const server = createServer((req, res) => {
    res.setHeader('metadata-flavor', 'Google');
    if (req.url === '/computeMetadata/v1/instance/preempted') return void res.end('TRUE');
    if (req.url === '/computeMetadata/v1/instance/attributes/cluster-name') return void res.writeHead(clusterName).end(clusterName === 200 ? 'prod-cluster' : '');
    res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const NOW = 1_000_000;
const POLL_MS = 5_000;
const check = async (clusterName: number) => (await new GcpProbe(await preemptedVm(clusterName), POLL_MS).check(AbortSignal.timeout(2_000), NOW))?.deadline;

describe('GCP preemption deadline', () => {
  it("on a GKE node, takes the kubelet's 15 s for pods, counted from one poll before the notice was seen", async () => {
    expect(await check(200)).toBe(NOW - POLL_MS + 15_000);
  });

  it("on a plain Compute Engine VM (no cluster-name), takes the VM's 30 s", async () => {
    expect(await check(404)).toBe(NOW - POLL_MS + 30_000);
  });

  it('takes the shorter bound when the metadata server does not say which', async () => {
    expect(await check(500)).toBe(NOW - POLL_MS + 15_000);
  });

  it('on GKE, ends the drain of a two-minute shutdown grace before the kubelet kills the pod, the flush margin kept', async () => {
    const deadline = (await check(200))!;
    expect(drainGraceMs({ cloud: 'gcp', kind: 'preempt', deadline }, 120_000, NOW)).toBe(5_000);
  });
});
