import type { CancelSignal } from './cancel.js';

/**
 * Settles like `promise`, or rejects with `reason(signal)` when the signal aborts first. The promise
 * itself is not cancelled: this only stops one caller waiting (a provider iterator may ignore the
 * abort; a shared refresh must carry on for its other waiters).
 */
export function raceAbort<T>(promise: Promise<T>, signal: CancelSignal, reason: (signal: CancelSignal) => unknown = (s) => s.reason): Promise<T> {
  if (signal.aborted) return Promise.reject(reason(signal) as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reason(signal) as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}
