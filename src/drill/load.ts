import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  ratePerS: number;
  durationMs: number;
  /** Sends request `index`; must not reject (the caller records failures). */
  send: (index: number) => Promise<void>;
  now?: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

/** How many requests a run sends at most: the rate times the duration, never more. */
export function requestBudget(ratePerS: number, durationMs: number): number {
  return Math.floor((ratePerS * durationMs) / 1000);
}

/**
 * Open-loop load at a fixed rate (requests start on schedule whether or not earlier ones answered,
 * as real clients do), bounded by both count and time; resolves when every request has ended.
 */
export async function runLoad(options: LoadOptions): Promise<number> {
  const now = options.now ?? Date.now;
  const wait = options.wait ?? sleep;
  const total = requestBudget(options.ratePerS, options.durationMs);
  const start = now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  for (let i = 0; i < total; i++) {
    const delay = start + (i * 1000) / options.ratePerS - now();
    if (delay > 0) await wait(delay);
    if (now() - start >= options.durationMs) break;
    const p: Promise<void> = options.send(i).finally(() => inFlight.delete(p));
    inFlight.add(p);
    sent += 1;
  }
  await Promise.all(inFlight);
  return sent;
}
