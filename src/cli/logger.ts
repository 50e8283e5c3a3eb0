import { pino } from 'pino';
import { ErrorTrace } from '../core/error-trace.js';
import type { Logger } from '../core/logger.js';
import { scrubLogText } from '../core/scrub.js';
import { batchedFdDestination } from './log-destination.js';

export interface Loggers {
  /** Everything but the access log; redaction censors secrets or prompts should one slip into a log object. */
  logger: Logger;
  /**
   * One line per request, with a fixed set of fields that never hold a secret or a prompt; it skips
   * redaction, which costs several microseconds per line on the hot path.
   */
  access: Logger;
}

/** Structured JSON logs; to a file descriptor, in batches written off the event loop (`log-destination.ts`). */
export function createLoggers(level: string, destination: NodeJS.WritableStream | number = 1): Loggers {
  const stream = (typeof destination === 'number' ? batchedFdDestination(destination) : destination) as pino.DestinationStream;
  const base = { service: 'switchyard' };
  const logger = pino(
    {
      level,
      base,
      redact: {
        paths: ['authorization', '*.authorization', 'api_key', '*.api_key', 'apiKey', '*.apiKey', 'messages', '*.messages', 'prompt', '*.prompt', 'secret', '*.secret'],
        censor: '[redacted]',
      },
      // An error's text is whatever a library or a server put in it (a URL with its password, a token an
      // upstream echoed): credentials are scrubbed from it wherever it is logged.
      serializers: { err: scrubbedError },
    },
    stream,
  );
  const access = pino({ level, base }, stream);
  return { logger: logger as unknown as Logger, access: access as unknown as Logger };
}

/**
 * A logged `err` without credentials: an internal error's chain (`ErrorTrace`, scrubbed where it was
 * built, the frames of its real stacks kept whole), any other text scrubbed whole (a line shaped like a
 * stack frame included: an upstream's message can hold one), an Error object as its name and message;
 * past 16 K characters cut (`scrubLogText`).
 */
function scrubbedError(err: unknown): unknown {
  if (err instanceof ErrorTrace) return err.text;
  if (typeof err === 'string') return scrubLogText(err);
  if (err instanceof Error) return scrubLogText(`${err.name}: ${err.message}`);
  return err;
}
