import { scrubLogText } from './scrub.js';

/** How many errors of a `cause` chain a trace follows. */
const MAX_DEPTH = 8;

/** A frame as V8 writes it in a stack. */
const FRAME = /^ {4}at /;

/**
 * An error and every error it wraps (`cause`), as an internal-error log line shows them: each stack
 * with its header (name and message, whatever an upstream or a library put there) scrubbed and the
 * frames V8 wrote after it kept whole: code locations, whose long paths and names the scrubber's net
 * for opaque tokens would take for one. A line of a message shaped like a frame (`\n    at <token>`)
 * is the message's, so it is scrubbed; only the frames of a real stack are trusted.
 *
 * Built only by `ErrorTrace.of`, so a logger may write its text as it is (the CLI logger does); any
 * other logger gets that text through `toJSON`.
 */
export class ErrorTrace {
  private constructor(readonly text: string) {}

  static of(err: unknown): ErrorTrace {
    const parts: string[] = [];
    let e: unknown = err;
    for (let depth = 0; e !== undefined && depth < MAX_DEPTH; depth++) {
      parts.push(e instanceof Error ? scrubbedStack(e) : scrubLogText(String(e)));
      e = e instanceof Error ? e.cause : undefined;
      if (e !== undefined) parts.push('caused by:');
    }
    return new ErrorTrace(parts.join('\n'));
  }

  toJSON(): string {
    return this.text;
  }

  toString(): string {
    return this.text;
  }
}

/**
 * The lines V8 wrote after `err`'s header in its stack: its frames. Undefined when the stack does not
 * start with the header (a message changed after the stack was read, a stack a library wrote), so
 * nothing in it can be told from the message.
 */
export function stackFrames(err: Error): string[] | undefined {
  const stack: unknown = err.stack;
  const header = headerOf(err);
  if (typeof stack !== 'string' || header === undefined || !stack.startsWith(header)) return undefined;
  if (stack.length === header.length) return [];
  return stack[header.length] === '\n' ? stack.slice(header.length + 1).split('\n') : undefined;
}

/** `err`'s stack with its header scrubbed and its frames kept (`stackFrames`); scrubbed whole when they cannot be told apart. */
function scrubbedStack(err: Error): string {
  const frames = stackFrames(err);
  const header = headerOf(err);
  if (frames === undefined || header === undefined) return scrubLogText(typeof err.stack === 'string' ? err.stack : (header ?? 'Error'));
  return [scrubLogText(header), ...frames.map((line) => (FRAME.test(line) ? line : scrubLogText(line)))].join('\n');
}

/** The header V8 puts before the frames: the error as `Error.prototype.toString` writes it (which a getter can make throw). */
function headerOf(err: Error): string | undefined {
  try {
    return Error.prototype.toString.call(err);
  } catch {
    return undefined;
  }
}

/**
 * A caught error's message for a log field or an answer, scrubbed: a driver's or an upstream's words can
 * quote a credential (pg a connection string with its password, ioredis a URL), and a library user's own
 * logger scrubs nothing. Past 16 K characters it is cut (`scrubLogText`). A thrown non-Error is shown as `String` shows it, or not at all when that throws.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return scrubLogText(err.message);
  try {
    return scrubLogText(String(err));
  } catch {
    return 'non-Error thrown';
  }
}
