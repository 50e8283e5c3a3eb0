import { pino } from 'pino';
import type { Logger } from '../core/logger.js';

/**
 * Structured JSON logs. Redaction is a second fence: the code never logs prompts or secrets, and
 * these paths are censored should one slip into a log object.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'switchyard' },
      redact: {
        paths: ['authorization', '*.authorization', 'api_key', '*.api_key', 'apiKey', '*.apiKey', 'messages', '*.messages', 'prompt', '*.prompt', 'secret', '*.secret'],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream,
  ) as unknown as Logger;
}
