import { expectStatus, metadataUrl, type InterruptionNotice, type MetadataProbe } from './notice.js';

/** Compute Engine stops a preempted (or Spot) VM about 30 seconds after the notice. */
const PREEMPTION_NOTICE_MS = 30_000;

/**
 * On a GKE node the kubelet's graceful node shutdown gives pods that are not system-critical the first
 * 15 s of those 30 (GKE's default), then kills them, whatever their termination grace period.
 */
const GKE_POD_NOTICE_MS = 15_000;

const FLAVOR = { 'metadata-flavor': 'Google' } as const;

/**
 * Compute Engine metadata: `instance/preempted` reads `TRUE` once the VM is being preempted. The notice
 * carries no time, so the deadline counts from when a poll saw it, less one poll interval (it may have
 * been up that long), and is GKE's 15 s unless the metadata server says this is no GKE node.
 */
export class GcpProbe implements MetadataProbe {
  readonly cloud = 'gcp' as const;

  constructor(
    private readonly base: string,
    private readonly pollMs = 0,
  ) {}

  async detect(signal: AbortSignal): Promise<boolean> {
    const res = await fetch(metadataUrl(this.base, '/computeMetadata/v1/instance/id'), { headers: FLAVOR, signal }).catch(() => undefined);
    await res?.body?.cancel();
    return res?.ok === true && res.headers.get('metadata-flavor') === 'Google';
  }

  async check(signal: AbortSignal, now: number): Promise<InterruptionNotice | undefined> {
    const res = await fetch(metadataUrl(this.base, '/computeMetadata/v1/instance/preempted'), { headers: FLAVOR, signal });
    const text = await expectStatus(res, [200], 'GCE metadata instance/preempted');
    if (text.trim() !== 'TRUE') return undefined;
    return { cloud: 'gcp', kind: 'preempt', deadline: now - this.pollMs + (await this.noticeMs(signal)) };
  }

  async acknowledge(): Promise<void> {}

  /**
   * GKE's metadata server (and a GKE node's own) answers `instance/attributes/cluster-name`; a plain
   * Compute Engine VM answers 404. Any other answer leaves it unknown: the shorter bound then.
   */
  private async noticeMs(signal: AbortSignal): Promise<number> {
    const res = await fetch(metadataUrl(this.base, '/computeMetadata/v1/instance/attributes/cluster-name'), { headers: FLAVOR, signal }).catch(() => undefined);
    await res?.body?.cancel();
    return res?.status === 404 ? PREEMPTION_NOTICE_MS : GKE_POD_NOTICE_MS;
  }
}
