/** A cloud's warning that the machine this process runs on is about to be taken away. */
export interface InterruptionNotice {
  cloud: 'aws' | 'gcp' | 'azure';
  /** What the cloud announced: `terminate`/`stop`/`hibernate` (AWS), `rebalance` (AWS early warning), `preempt`. */
  kind: string;
  /** When the machine goes (ms since the epoch); undefined when the cloud gives no time. */
  deadline: number | undefined;
  /**
   * A warning that the machine is at risk, not that it goes (AWS's rebalance recommendation): logged once,
   * never drained on. It stays posted for the instance's life, which may go on for hours or for good: a
   * drain on it would stop the gateway, and every restart after, on a healthy machine.
   */
  advisory?: true;
}

/** One cloud's metadata endpoints: is this that cloud, and is a notice out for this machine. */
export interface MetadataProbe {
  readonly cloud: InterruptionNotice['cloud'];
  /** True when the metadata service of this cloud answers (provider `auto`). */
  detect(signal: AbortSignal): Promise<boolean>;
  /** The pending notice, or undefined. Throws on a metadata service failure (the watcher logs it). */
  check(signal: AbortSignal, now: number): Promise<InterruptionNotice | undefined>;
  /** Tells the platform the process is ready to go (Azure's StartRequests); no-op elsewhere. */
  acknowledge(signal: AbortSignal): Promise<void>;
}

/** Joins a base URL (which may carry a path, as a simulator's does) and an absolute path. */
export function metadataUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** Reads a response body and fails on a status other than the ones expected. */
export async function expectStatus(res: Response, ok: readonly number[], what: string): Promise<string> {
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status}`);
  return text;
}
