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
