import { expectStatus, metadataUrl, type InterruptionNotice, type MetadataProbe } from './notice.js';

/** Compute Engine stops a preempted (or Spot) VM about 30 seconds after the notice. */
const PREEMPTION_NOTICE_MS = 30_000;

const FLAVOR = { 'metadata-flavor': 'Google' } as const;

/** Compute Engine metadata: `instance/preempted` reads `TRUE` once the VM is being preempted. */
export class GcpProbe implements MetadataProbe {
  readonly cloud = 'gcp' as const;

  constructor(private readonly base: string) {}

  async detect(signal: AbortSignal): Promise<boolean> {
    const res = await fetch(metadataUrl(this.base, '/computeMetadata/v1/instance/id'), { headers: FLAVOR, signal }).catch(() => undefined);
    await res?.body?.cancel();
    return res?.ok === true && res.headers.get('metadata-flavor') === 'Google';
  }

  async check(signal: AbortSignal, now: number): Promise<InterruptionNotice | undefined> {
    const res = await fetch(metadataUrl(this.base, '/computeMetadata/v1/instance/preempted'), { headers: FLAVOR, signal });
    const text = await expectStatus(res, [200], 'GCE metadata instance/preempted');
    return text.trim() === 'TRUE' ? { cloud: 'gcp', kind: 'preempt', deadline: now + PREEMPTION_NOTICE_MS } : undefined;
  }

  async acknowledge(): Promise<void> {}
}
