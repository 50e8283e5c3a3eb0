import { fstatSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
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

/** A batched destination: its batch, and how what is left in it is written at exit. */
interface Destination {
  readonly batch: LineBatch;
  readonly atExit: (text: string) => void;
}

/** Every batched destination of the process, written out synchronously by one exit listener. */
const destinations = new Set<Destination>();

function writeAllAtExit(): void {
  // Nowhere is left to report a log that cannot be written; each destination is still tried.
  for (const { batch, atExit } of destinations) {
    try {
      atExit(batch.take());
    } catch {
      /* this one could not be written */
    }
  }
}

/**
 * Log lines to a file descriptor in batches (`LineBatch`), written by the cheapest way that never
 * blocks the event loop on a stalled reader:
 * - a regular file (no reader can stall it): `writeSync`, 16 KB at a time;
 * - stdout or stderr on a pipe or socket (a container's logs): `process.stdout`/`stderr`, which Node
 *   writes without blocking on the event loop's own thread, holding what a full pipe does not take;
 * - anything else (a terminal, another fd): sonic-boom, asynchronously on the thread pool.
 * The thread pool's hand-off each way cost ~53 µs of CPU per 4 KB batch on the 2-core bench machine,
 * against ~15-20 µs for the write itself (16 KB: ~32 µs). Batches to a pipe stay within PIPE_BUF, so
 * lines of several processes sharing it never interleave. At exit what waits is written
 * synchronously; a batch still queued for a stalled reader may then be lost, as with any
 * asynchronous destination.
 */
export function batchedFdDestination(fd: number): LineBatch {
  if (destinations.size === 0) process.once('exit', writeAllAtExit);
  const destination = isRegularFile(fd) ? toFile(fd) : (toStdioSocket(fd) ?? toSonicBoom(fd));
  destinations.add(destination);
  return destination.batch;
}

function toFile(fd: number): Destination {
  // A failed write (a full disk) drops that batch. Never a crash.
  const write = (text: string): void => {
    try {
      if (text !== '') writeSync(fd, text);
    } catch {
      /* dropped: nowhere is left to report it */
    }
  };
  return { batch: new LineBatch({ write }, FILE_BATCH_BYTES, BATCH_WAIT_MS), atExit: write };
}

function toStdioSocket(fd: number): Destination | undefined {
  const stream = fd === 1 ? process.stdout : fd === 2 ? process.stderr : undefined;
  if (!stream || stream.isTTY || !(stream instanceof Socket)) return undefined;
  let broken = false;
  // EPIPE (the reader is gone) stops the logs; any other write error drops that batch. Never a crash.
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') broken = true;
  });
  const batch = new LineBatch({ write: (text) => broken || stream.write(text) }, BATCH_BYTES, BATCH_WAIT_MS);
  // Behind batches still queued the last one can only queue too (and may be lost); else it goes now.
  const atExit = (text: string): void => {
    if (text === '' || broken) return;
    if (stream.writableLength === 0) writeSync(fd, text);
    else stream.write(text);
  };
  return { batch, atExit };
}

function toSonicBoom(fd: number): Destination {
  const out = new SonicBoom({ fd, sync: false, minLength: 0, maxWrite: BATCH_BYTES });
  let broken = false;
  // EPIPE (the reader is gone) stops the logs; any other write error drops that batch. Never a crash.
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') broken = true;
  });
  const batch = new LineBatch({ write: (text) => broken || out.write(text) }, BATCH_BYTES, BATCH_WAIT_MS);
  const atExit = (text: string): void => {
    try {
      out.flushSync();
    } catch {
      /* sonic-boom's queue could not be written */
    }
    if (text !== '') writeSync(fd, text);
  };
  return { batch, atExit };
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}
