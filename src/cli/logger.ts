import { pino } from 'pino';
import type { Logger } from '../core/logger.js';

export interface Loggers {
  /** Everything but the access log; redaction censors secrets or prompts should one slip into a log object. */
  logger: Logger;
  /**
   * One line per request, with a fixed set of fields that never hold a secret or a prompt; it skips
   * redaction, which costs several microseconds per line on the hot path.
   */
  access: Logger;
}

/**
 * Lines gather up to this many bytes before one write, or wait at most FLUSH_MS: at full load an
 * access line per request would otherwise be an asynchronous write (a thread-pool hop) per request.
 * Pino writes what is buffered when the process exits; a SIGKILL can lose the last FLUSH_MS of lines.
 */
const BUFFER_BYTES = 4096;
const FLUSH_MS = 200;

/**
 * Structured JSON logs on an asynchronous, buffered file-descriptor destination, which keeps log
 * writes off the request path (a synchronous write per line costs the hot path several microseconds).
 */
export function createLoggers(level: string, destination: NodeJS.WritableStream | 1 | 2 = 1): Loggers {
  const stream = (
    typeof destination === 'number' ? pino.destination({ dest: destination, sync: false, minLength: BUFFER_BYTES, periodicFlush: FLUSH_MS }) : destination
  ) as pino.DestinationStream;
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
