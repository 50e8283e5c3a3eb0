import { fstatSync, writeSync } from 'node:fs';
import sonicBoom from 'sonic-boom';
import { LineBatch } from './line-batch.js';

/** A batch's size at most: PIPE_BUF, so one write to a pipe is atomic. */
const BATCH_BYTES = 4096;
/** To a regular file (one write never interleaves with another process's there): fewer, larger writes. */
const FILE_BATCH_BYTES = 16 * 1024;
/** How long a line may wait for others; a SIGKILL can lose this much, an exit writes it. */
const BATCH_WAIT_MS = 200;

// A CommonJS module: its default export is the class, which also carries itself as `SonicBoom`.
const { SonicBoom } = sonicBoom;
type SonicBoom = InstanceType<typeof SonicBoom>;

interface Destination {
  readonly fd: number;
  readonly batch: LineBatch;
  /** Absent for a regular file, written synchronously. */
  readonly out: SonicBoom | undefined;
}

/** Every batched destination of the process, written out synchronously by one exit listener. */
const destinations = new Set<Destination>();

function writeAllAtExit(): void {
  for (const { fd, batch, out } of destinations) {
    const text = batch.take();
    // Nowhere is left to report a log that cannot be written; what waits is still tried after a failure.
    try {
      out?.flushSync();
    } catch {
      /* sonic-boom's queue could not be written */
    }
    try {
      if (text !== '') writeSync(fd, text);
    } catch {
      /* nor this batch */
    }
  }
}

/**
 * Log lines to a file descriptor in batches (`LineBatch`). To a pipe or a terminal each batch is
 * written asynchronously by sonic-boom (the thread pool: a reader that stalls never blocks the event
 * loop; what waits meanwhile is held in memory). To a regular file, where no reader can stall a
 * write, with `writeSync`: handing a 4 KB batch to the thread pool and back cost ~53 µs of CPU on the
 * 2-core bench machine against ~15-20 µs for the write itself (16 KB: ~32 µs). At exit what waits is
 * written synchronously; a batch still in the thread pool then may be lost, as with pino's own
 * asynchronous destination.
 */
export function batchedFdDestination(fd: number): LineBatch {
  if (destinations.size === 0) process.once('exit', writeAllAtExit);
  if (isRegularFile(fd)) {
    // A failed write (a full disk) drops that batch. Never a crash.
    const batch = new LineBatch({ write: (text) => tryWrite(fd, text) }, FILE_BATCH_BYTES, BATCH_WAIT_MS);
    destinations.add({ fd, batch, out: undefined });
    return batch;
  }
  const out = new SonicBoom({ fd, sync: false, minLength: 0, maxWrite: BATCH_BYTES });
  let broken = false;
  // EPIPE (the reader is gone) stops the logs; any other write error drops that batch. Never a crash.
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') broken = true;
  });
  const batch = new LineBatch({ write: (text) => broken || out.write(text) }, BATCH_BYTES, BATCH_WAIT_MS);
  destinations.add({ fd, batch, out });
  return batch;
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

function tryWrite(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    /* dropped: nowhere is left to report it */
  }
}
