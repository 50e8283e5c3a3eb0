import { addLoad, noLoad, type LoadReport } from '../routing/load.js';

/**
 * The workers of `serve --workers` share one provider quota and one provisioned capacity per
 * deployment, but each router counts only its own attempts: checking the primary per request would
 * put an IPC round trip on the hot path. So each worker reports its own use about once a second (when
 * it changed), the primary relays to every worker the sum of the others', and each router decides on
 * its own counts plus that sum. The others' figures are up to about a second old.
 */

/** The topic of the primary's pushes of the others' sum; the worker's reports are `cluster.load(workerId, report)` calls. */
export const LOAD_TOPIC = 'load';

/** How often a worker reports its use (when it changed) and adopts the others' again (a reloaded app starts with none). */
export const LOAD_REPORT_MS = 1_000;

/** How long the primary gathers reports before pushing the new sums, so reports arriving together cost one push each. */
export const LOAD_PUSH_DELAY_MS = 50;

export interface LoadRelayOptions {
  /** The workers to push to (those listening). */
  workers: () => readonly number[];
  /** Sends one worker the sum of the others' use. */
  push: (worker: number, others: LoadReport) => void;
  pushDelayMs?: number;
}

/** The primary's side: every worker's last report, and the sum of the others' that each worker is pushed. */
export class LoadRelay {
  private readonly reports = new Map<number, LoadReport>();
  /** Workers whose use changed since the last push. */
  private readonly changed = new Set<number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LoadRelayOptions) {}

  /** Keeps a worker's report and schedules the others' push; answers with the sum of the others' use for the reporter. */
  report(worker: number, report: LoadReport): LoadReport {
    this.reports.set(worker, report);
    this.touch(worker);
    return this.othersOf(worker);
  }

  /** A worker exited: its use leaves the others' sums. */
  forget(worker: number): void {
    if (this.reports.delete(worker)) this.touch(worker);
  }

  /** Each deployment's use summed over every worker but `worker`. */
  othersOf(worker: number): LoadReport {
    const sums: LoadReport = {};
    for (const [id, report] of this.reports) {
      if (id === worker) continue;
      for (const [deployment, load] of Object.entries(report)) addLoad((sums[deployment] ??= noLoad()), load);
    }
    return sums;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private touch(worker: number): void {
    this.changed.add(worker);
    if (this.timer) return;
    this.timer = setTimeout(() => this.pushAll(), this.options.pushDelayMs ?? LOAD_PUSH_DELAY_MS);
    this.timer.unref();
  }

  /** Pushes each worker its new sum, unless only its own use changed (its sum did not). */
  private pushAll(): void {
    this.timer = undefined;
    const changed = [...this.changed];
    this.changed.clear();
    for (const w of this.options.workers()) if (changed.some((c) => c !== w)) this.options.push(w, this.othersOf(w));
  }
}

/** The worker's side: reports its own use to the primary when it changed, and adopts the others' sum. */
export class LoadReporter {
  private sent: string | undefined;
  private others: LoadReport = {};
  private sending = false;

  constructor(
    /** This worker's own use (the current app's). */
    private readonly read: () => LoadReport,
    /** Gives the current app the others' use. */
    private readonly adopt: (others: LoadReport) => void,
    /** Reports to the primary; resolves with the sum of the others' use. */
    private readonly send: (report: LoadReport) => Promise<unknown>,
  ) {}

  /** One round: the others' last sum adopted again (a reload's new app), and this worker's use reported if it changed. */
  async tick(): Promise<void> {
    this.adopt(this.others);
    if (this.sending) return;
    const report = this.read();
    const text = JSON.stringify(report);
    if (text === this.sent) return;
    this.sending = true;
    try {
      this.receive(await this.send(report));
      this.sent = text;
    } catch {
      // The primary did not take it (gone, or busy past the call's timeout): the next round reports again.
    } finally {
      this.sending = false;
    }
  }

  /** The others' sum, as the primary pushed it or answered a report with. */
  receive(others: unknown): void {
    if (typeof others !== 'object' || others === null) return;
    this.others = others as LoadReport;
    this.adopt(this.others);
  }
}
