import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { ledgerSchema } from '../config.js';
import { openStore } from './open.js';

const opened = vi.hoisted(() => [] as Array<{ poolSize?: number }>);
vi.mock('./postgres-driver.js', () => ({
  openPostgres: (_url: string, _schema: string, _logger: unknown, options: { poolSize?: number }) => {
    opened.push(options);
    throw new Error('no database in this spec');
  },
}));

describe('openStore with PostgreSQL', () => {
  it('opens the pool at ledger.pool_size connections, the driver default when unset', async () => {
    const config = (poolSize?: number) => ledgerSchema.parse({ store: 'postgres', url: 'postgres://db.internal:5432/usage', pool_size: poolSize });
    await expect(openStore(config(1), silentLogger)).rejects.toThrow('no database in this spec');
    await expect(openStore(config(), silentLogger)).rejects.toThrow('no database in this spec');
    expect(opened.map((o) => o.poolSize)).toEqual([1, undefined]);
  });

  it('refuses a pool of no connections, naming the field', () => {
    const result = ledgerSchema.safeParse({ store: 'postgres', url: 'postgres://db.internal:5432/usage', pool_size: 0 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['pool_size']);
  });
});
