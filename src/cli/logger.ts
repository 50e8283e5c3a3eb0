import { pino } from 'pino';
import type { Logger } from '../core/logger.js';

/**
 * Structured JSON logs. Redaction is a second fence: the code never logs prompts or secrets, and
 * these paths are censored should one slip into a log object.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | 1 | 2 = 1): Logger {
  // An async file-descriptor destination keeps log writes off the request path (a sync write per line
  // costs the hot path several microseconds); it flushes when the process ends.
  const stream = typeof destination === 'number' ? pino.destination({ dest: destination, sync: false }) : destination;
  return pino(
    {
      level,
      base: { service: 'switchyard' },
      redact: {
        paths: ['authorization', '*.authorization', 'api_key', '*.api_key', 'apiKey', '*.apiKey', 'messages', '*.messages', 'prompt', '*.prompt', 'secret', '*.secret'],
        censor: '[redacted]',
      },
    },
    stream as pino.DestinationStream,
  ) as unknown as Logger;
}
