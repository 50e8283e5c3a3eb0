import { pino } from 'pino';
import type { Logger } from '../core/logger.js';
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
    },
    stream,
  );
  const access = pino({ level, base }, stream);
  return { logger: logger as unknown as Logger, access: access as unknown as Logger };
}
