import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IService } from 'kubernetes-models/v1';
import { renderKustomization, type K8sObject } from './render.js';
import { containerOf, gatewayConfigOf, onlyOne, podSpecOf, preStopMs } from './testing.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ON_DEMAND = ['base', 'overlays/eks', 'overlays/gke', 'overlays/aks'] as const;
const SPOT = 'overlays/gke-spot';
const GKE = ['overlays/gke', SPOT] as const;
const rendered = new Map<string, K8sObject[]>([...ON_DEMAND, SPOT].map((t) => [t, renderKustomization(join(HERE, t))]));
const objects = (t: string): K8sObject[] => rendered.get(t)!;

/** What the ledger's last flush may take after the drain, before SIGKILL. */
const FLUSH_MARGIN_MS = 5000;

describe.each(ON_DEMAND)('kubernetes termination: %s', (target) => {
  it('gives requests in flight two minutes to finish on a rollout or a scale-down: LLM streams run for minutes', () => {
    expect(gatewayConfigOf(objects(target), target).server.shutdown_grace_ms).toBeGreaterThanOrEqual(120_000);
  });
});

describe('kubernetes termination: overlays/gke-spot', () => {
  /** GKE's graceful node shutdown: pods that are not system-critical get 15 s of a preempted node's 30 s. */
  const KUBELET_SHUTDOWN_MS = 15_000;

  it('runs on Spot nodes only', () => {
    expect(podSpecOf(objects(SPOT), SPOT).nodeSelector).toEqual({ 'cloud.google.com/gke-spot': 'true' });
  });

  it('fits the preStop pause, the drain and the ledger flush in the 15 s the kubelet gives a pod on a preempted node', () => {
    const graceMs = gatewayConfigOf(objects(SPOT), SPOT).server.shutdown_grace_ms;
    expect(preStopMs(objects(SPOT), SPOT) + graceMs + FLUSH_MARGIN_MS).toBeLessThanOrEqual(KUBELET_SHUTDOWN_MS);
    // A longer period would only hold on rollouts, where the drain is just as short.
    expect(podSpecOf(objects(SPOT), SPOT).terminationGracePeriodSeconds! * 1000).toBeLessThanOrEqual(KUBELET_SHUTDOWN_MS);
  });
});

/** Bytes in a Kubernetes quantity of memory (`448Mi`, `1Gi`, `500M`). */
function bytes(quantity: string | number | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(String(quantity));
  if (!m) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

describe.each([...ON_DEMAND, SPOT])('kubernetes memory: %s', (target) => {
  // Measured with `serve --workers 2`: the pod (primary + 2 workers) idle, and one process under load.
  const IDLE_POD = 227e6;
  const LOADED_PROCESS = 178e6;

  it('requests the memory the pod takes under load and limits it above every process loaded plus the memory-backed volumes', () => {
    const c = containerOf(objects(target), target);
    const workers = Number(c.args![c.args!.indexOf('--workers') + 1]);
    expect(workers).toBeGreaterThanOrEqual(1);
    const idlePrimary = IDLE_POD / 3;
    const inMemory = podSpecOf(objects(target), target).volumes!.filter((v) => v.emptyDir?.medium === 'Memory');
    // A tmpfs emptyDir counts against the container's memory limit.
    const volumes = inMemory.reduce((sum, v) => sum + bytes(v.emptyDir!.sizeLimit as string), 0);
    expect(bytes(c.resources?.requests?.memory as string)).toBeGreaterThanOrEqual(idlePrimary + workers * LOADED_PROCESS);
    expect(bytes(c.resources?.limits?.memory as string)).toBeGreaterThanOrEqual((workers + 1) * LOADED_PROCESS + volumes);
  });
});

describe.each(GKE)('kubernetes load balancer: %s', (target) => {
  interface BackendConfig {
    spec: { timeoutSec: number; connectionDraining: { drainingTimeoutSec: number } };
  }
  const backendConfig = (): BackendConfig => {
    const service = onlyOne<IService>(objects(target), 'Service', 'switchyard', target);
    const annotation = service.metadata?.annotations?.['cloud.google.com/backend-config'];
    expect(annotation, 'the Service names a BackendConfig').toBeTypeOf('string');
    const name = (JSON.parse(annotation!) as { default: string }).default;
    return onlyOne<BackendConfig>(objects(target), 'BackendConfig', name, target);
  };

  it("lets the Google load balancer wait for the longest answer: the first content's deadline plus the longest stream", () => {
    const { routing } = gatewayConfigOf(objects(target), target);
    expect(routing.stream_max_ms, '0 is no limit').toBeGreaterThan(0);
    expect(backendConfig().spec.timeoutSec * 1000).toBeGreaterThanOrEqual(routing.deadline_ms + routing.stream_max_ms);
  });

  it("keeps a terminating pod's requests on it while it drains", () => {
    const graceMs = gatewayConfigOf(objects(target), target).server.shutdown_grace_ms;
    expect(backendConfig().spec.connectionDraining.drainingTimeoutSec * 1000).toBeGreaterThanOrEqual(preStopMs(objects(target), target) + graceMs);
  });

  it('keeps idle connections open longer than the 600 s the load balancer reuses them', () => {
    const server: { keep_alive_timeout_ms?: number } = gatewayConfigOf(objects(target), target).server;
    expect(server.keep_alive_timeout_ms).toBeGreaterThan(600_000);
  });
});
