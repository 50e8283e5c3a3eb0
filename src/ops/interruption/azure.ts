import { expectStatus, metadataUrl, type InterruptionNotice, type MetadataProbe } from './notice.js';

const EVENTS_PATH = '/metadata/scheduledevents?api-version=2020-07-01';
const NAME_PATH = '/metadata/instance/compute/name?api-version=2021-02-01&format=text';
const HEADERS = { metadata: 'true' } as const;

/** The event types that take the VM away for good (Reboot, Redeploy, Freeze leave it running later). */
const INTERRUPTIONS: ReadonlySet<string> = new Set(['Preempt', 'Terminate']);

interface ScheduledEvent {
  EventId?: unknown;
  EventType?: unknown;
  Resources?: unknown;
  NotBefore?: unknown;
}

/**
 * Azure Scheduled Events (IMDS, header `Metadata: true`): a `Preempt` (Spot eviction) or `Terminate`
 * event naming this VM. Events of an availability set reach every VM in it, so only events whose
 * `Resources` name this VM count. Acknowledging posts `StartRequests` for them: the platform may then
 * proceed at once instead of waiting for `NotBefore`.
 */
export class AzureProbe implements MetadataProbe {
  readonly cloud = 'azure' as const;
  private vmName: string | undefined;
  private pending: string[] = [];

  constructor(private readonly base: string) {}

  async detect(signal: AbortSignal): Promise<boolean> {
    return (await this.name(signal).catch(() => undefined)) !== undefined;
  }

  async check(signal: AbortSignal): Promise<InterruptionNotice | undefined> {
    const name = this.vmName ?? (await this.name(signal));
    const res = await fetch(metadataUrl(this.base, EVENTS_PATH), { headers: HEADERS, signal });
    const doc = JSON.parse(await expectStatus(res, [200], 'Azure scheduled events')) as { Events?: ScheduledEvent[] };
    const mine = (doc.Events ?? []).filter(
      (e) => typeof e.EventType === 'string' && INTERRUPTIONS.has(e.EventType) && Array.isArray(e.Resources) && e.Resources.includes(name) && typeof e.EventId === 'string',
    );
    const first = mine[0];
    if (!first) return undefined;
    this.pending = mine.map((e) => e.EventId as string);
    // NotBefore is an RFC 1123 date; it may be empty once the event has started.
    const notBefore = typeof first.NotBefore === 'string' && first.NotBefore !== '' ? Date.parse(first.NotBefore) : Number.NaN;
    return { cloud: 'azure', kind: (first.EventType as string).toLowerCase(), deadline: Number.isNaN(notBefore) ? undefined : notBefore };
  }

  async acknowledge(signal: AbortSignal): Promise<void> {
    if (this.pending.length === 0) return;
    const body = JSON.stringify({ StartRequests: this.pending.map((id) => ({ EventId: id })) });
    const res = await fetch(metadataUrl(this.base, EVENTS_PATH), { method: 'POST', headers: { ...HEADERS, 'content-type': 'application/json' }, body, signal });
    await expectStatus(res, [200], 'Azure scheduled events acknowledgement');
    this.pending = [];
  }

  private async name(signal: AbortSignal): Promise<string> {
    const res = await fetch(metadataUrl(this.base, NAME_PATH), { headers: HEADERS, signal });
    this.vmName = (await expectStatus(res, [200], 'Azure instance metadata')).trim();
    return this.vmName;
  }
}
