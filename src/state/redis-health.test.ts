import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { watchOutages } from './redis-health.js';

function recordingLogger(): Logger & { warnings: Array<{ obj: Record<string, unknown>; msg?: string }> } {
  const warnings: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
  const logger = {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (obj: object, msg?: string) => void warnings.push({ obj: obj as Record<string, unknown>, msg }),
    error: () => undefined,
    child: () => logger,
  };
  return logger;
}

/** A one-server connection as the watch sees it: its events and status. */
const server = (): Redis => Object.assign(new EventEmitter(), { status: 'connecting' }) as unknown as Redis;

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('the Redis outage log', () => {
  it('tells the operator how to trust a private CA when the server certificate chains to none Node trusts (Memorystore, a self-signed CA)', () => {
    const logger = recordingLogger();
    const redis = server();
    watchOutages(redis, logger, 'state store');
    redis.emit('error', withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'));
    expect(logger.warnings).toEqual([
      { msg: 'state store: Redis unreachable', obj: { err: 'self-signed certificate in certificate chain', hint: expect.stringContaining('NODE_EXTRA_CA_CERTS') } },
    ]);
  });

  it('adds no hint to any other failure', () => {
    const logger = recordingLogger();
    const redis = server();
    watchOutages(redis, logger, 'budget state');
    redis.emit('error', withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'));
    expect(logger.warnings).toEqual([{ msg: 'budget state: Redis unreachable', obj: { err: 'connect ECONNREFUSED 127.0.0.1:6379' } }]);
  });
});
