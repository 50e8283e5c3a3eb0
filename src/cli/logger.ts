import { pino } from 'pino';
import type { Logger } from '../core/logger.js';
import { LineBatch } from './line-batch.js';

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
 * Lines gather up to about this many bytes before one write, or wait at most FLUSH_MS: at full load a
 * write per access line would be a system call per request. A SIGKILL can lose the last FLUSH_MS of
 * lines; an exit writes them.
 */
const BUFFER_BYTES = 4096;
const FLUSH_MS = 200;

/**
 * Structured JSON logs on a batched file-descriptor destination. A batch is written synchronously
 * (pino's default destination mode): one write of ~4 KB per dozen requests at full load, and nothing
 * is left in flight in the thread pool when the process exits.
 */
export function createLoggers(level: string, destination: NodeJS.WritableStream | 1 | 2 = 1): Loggers {
  let stream: pino.DestinationStream;
  if (typeof destination === 'number') {
    const batch = new LineBatch(pino.destination({ dest: destination, sync: true }), BUFFER_BYTES, FLUSH_MS);
    process.once('exit', () => batch.flush());
    stream = batch;
  } else stream = destination as pino.DestinationStream;
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
