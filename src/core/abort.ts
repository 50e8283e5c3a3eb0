import type { CancelSignal } from './cancel.js';
import { GatewayError } from './errors.js';

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

/**
 * What a call that `signal` stopped before any of its request was written upstream (while it waited
 * for a connection or for its credentials) ends with: the abort's reason, marked `unsent`, so the
 * attempt is neither billed nor recorded as usage.
 */
export function abortedBeforeSending(signal: CancelSignal, provider: string): GatewayError {
  const reason: unknown = signal.reason;
  const error = GatewayError.isInstance(reason) ? reason : new GatewayError({ kind: 'cancelled', message: 'The request was cancelled.', provider, cause: reason });
  return error.withUnsent(true);
}
