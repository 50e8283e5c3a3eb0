import { SlidingWindow } from './window.js';

const REQUESTS = 0;
const RETRIES = 1;

/**
 * Bounds retry amplification: retries over the window may be at most `ratio` of the requests seen
 * (plus a small floor so a quiet gateway can still retry). An outage then costs at most
 * (1 + ratio) upstream calls per request instead of max_attempts times as many.
 */
export class RetryBudget {
  private readonly window: SlidingWindow;
  private denied = 0;

  constructor(private readonly config: { ratio: number; window_ms: number; min_retries: number }) {
    this.window = new SlidingWindow(config.window_ms, 2);
  }

  onRequest(now: number): void {
    this.window.add(now, REQUESTS);
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(now: number): boolean {
    const allowed = Math.max(this.config.min_retries, this.config.ratio * this.window.sum(now, REQUESTS));
    if (this.window.sum(now, RETRIES) + 1 > allowed) {
      this.denied += 1;
      return false;
    }
    this.window.add(now, RETRIES);
    return true;
  }

  snapshot(now: number): { requests: number; retries: number; denied: number; ratio: number } {
    return { requests: this.window.sum(now, REQUESTS), retries: this.window.sum(now, RETRIES), denied: this.denied, ratio: this.config.ratio };
  }
}
