/**
 * An async iterator that can also hand out a value it already holds, without a promise. One upstream
 * read carries a stream's parts a dozen at a time; passing them between our own layers one promise
 * (and one microtask) each cost more than decoding them. A consumer takes what is ready, then falls
 * back to `next()`, which alone reports waits, the end and errors.
 */
export interface ReadyIterator<T> extends AsyncIterator<T> {
  /** The next value when it is already at hand; undefined when only `next()` can tell. */
  takeReady(): T | undefined;
}

/** `iterator` as a ReadyIterator when it is one. */
export function readyIterator<T>(iterator: AsyncIterator<T>): ReadyIterator<T> | undefined {
  return typeof (iterator as Partial<ReadyIterator<T>>).takeReady === 'function' ? (iterator as ReadyIterator<T>) : undefined;
}

/**
 * An async iterator whose consumer confirms its end: asked with `holdEnd()` before it is read, its
 * `done` settles nothing yet; `return()` afterwards says the consumer took the end whole, `throw(err)`
 * that it failed on it (a front door that could not write its closing frames), so what is recorded is
 * what the consumer's client got. Without it, `done` settles as it comes: a `for await` loop calls
 * nothing after it.
 */
export interface EndHolding {
  holdEnd(): void;
}

/** Asks `iterator` to hold its end for the consumer to confirm, when it can. */
export function holdEnd(iterator: AsyncIterator<unknown>): void {
  (iterator as Partial<EndHolding>).holdEnd?.();
}
