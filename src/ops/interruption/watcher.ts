import type { Logger } from '../../core/logger.js';
import { AwsProbe } from './aws.js';
import { AzureProbe } from './azure.js';
import type { InterruptionConfig } from './config.js';
import { GcpProbe } from './gcp.js';
import type { InterruptionNotice, MetadataProbe } from './notice.js';
import { errorMessage } from '../../core/error-trace.js';

/** Every cloud's metadata service sits on the link-local address (GCP's also as metadata.google.internal). */
const LINK_LOCAL = 'http://169.254.169.254';
/** A metadata call that takes longer than this is treated as failed (off-cloud the address black-holes). */
const REQUEST_TIMEOUT_MS = 2_000;

export interface WatcherOptions {
  logger: Logger;
  /** Called once, on the first notice; the platform is acknowledged (Azure) after it settles. */
  onNotice: (notice: InterruptionNotice) => Promise<void> | void;
  now?: () => number;
}

/** `pollMs`: how long a notice may have been up before a poll saw it (GCP's carries no time). */
export function probeFor(cloud: 'aws' | 'gcp' | 'azure', base: string | undefined, pollMs = 0): MetadataProbe {
  const url = base ?? LINK_LOCAL;
  if (cloud === 'aws') return new AwsProbe(url);
  if (cloud === 'gcp') return new GcpProbe(url, pollMs);
  return new AzureProbe(url);
}

/**
 * Polls the cloud's metadata service every `poll_ms` for a notice that this machine is going away and
 * hands the first one to `onNotice` (which drains the process); polling stops then. Metadata failures
 * are logged and polling goes on: a flaky metadata service must not take the gateway down.
 */
export class InterruptionWatcher {
  private timer: NodeJS.Timeout | undefined;
  private probe: MetadataProbe | undefined;
  private noticed = false;
  /** An advisory (AWS's rebalance recommendation) was logged: once is enough. */
  private advised = false;
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  private settle: (notice: InterruptionNotice) => void = () => undefined;
  /** Resolves once a notice was handled (`onNotice` settled) and acknowledged to the platform. */
  readonly handled = new Promise<InterruptionNotice>((resolve) => (this.settle = resolve));

  constructor(
    private readonly config: InterruptionConfig,
    private readonly options: WatcherOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Picks the cloud (asking each for `auto`) and starts polling; resolves to the cloud watched. */
  async start(): Promise<MetadataProbe['cloud'] | undefined> {
    const { provider, metadata_url: base } = this.config;
    if (provider === 'none') return undefined;
    this.probe = provider === 'auto' ? await this.detect(base) : probeFor(provider, base, this.config.poll_ms);
    if (!this.probe) {
      this.options.logger.info({}, 'interruption watcher: no cloud metadata service answered; not watching');
      return undefined;
    }
    this.options.logger.info({ cloud: this.probe.cloud, pollMs: this.config.poll_ms }, 'interruption watcher started');
    this.schedule(0);
    return this.probe.cloud;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopping.abort();
  }

  private async detect(base: string | undefined): Promise<MetadataProbe | undefined> {
    for (const cloud of ['aws', 'gcp', 'azure'] as const) {
      const p = probeFor(cloud, base, this.config.poll_ms);
      if (await p.detect(this.signal()).catch(() => false)) return p;
    }
    return undefined;
  }

  private schedule(ms: number): void {
    if (this.stopping.signal.aborted) return;
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const probe = this.probe as MetadataProbe;
    let notice: InterruptionNotice | undefined;
    try {
      notice = await probe.check(this.signal(), this.now());
    } catch (err) {
      if (!this.stopping.signal.aborted) this.options.logger.warn({ cloud: probe.cloud, err: errorMessage(err) }, 'interruption watcher: metadata check failed');
    }
    if (notice?.advisory === true) {
      if (!this.advised) this.options.logger.warn({ cloud: notice.cloud, kind: notice.kind }, 'interruption watcher: the cloud warns this machine is at risk of interruption; serving on until it is interrupted');
      this.advised = true;
      return this.schedule(this.config.poll_ms);
    }
    if (!notice || this.noticed) return this.schedule(this.config.poll_ms);
    this.noticed = true;
    this.options.logger.warn({ cloud: notice.cloud, kind: notice.kind, deadline: notice.deadline === undefined ? undefined : new Date(notice.deadline).toISOString() }, 'interruption notice: draining');
    try {
      await this.options.onNotice(notice);
      await probe.acknowledge(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    } catch (err) {
      this.options.logger.warn({ cloud: probe.cloud, err: errorMessage(err) }, 'interruption watcher: acknowledging the notice failed');
    }
    this.settle(notice);
  }

  private signal(): AbortSignal {
    return AbortSignal.any([this.stopping.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
  }
}
