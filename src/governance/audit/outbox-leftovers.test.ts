import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import type * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// The first read of a claimed segment fails (EIO, EMFILE, a file past V8's longest string...).
let failNextClaimedRead = true;
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return {
    ...real,
    readFileSync: (path: fs.PathOrFileDescriptor, options?: unknown) => {
      if (failNextClaimedRead && String(path).includes('-claimed-')) {
        failNextClaimedRead = false;
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      }
      return (real.readFileSync as (p: unknown, o: unknown) => unknown)(path, options);
    },
  };
});

const { Journal } = await import('../../ledger/journal.js');
const { AuditOutbox } = await import('./outbox.js');
const { silentLogger } = await import('../../core/logger.js');

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

describe("the audit journal's leftovers", () => {
  it('keep a segment whose read failed for the next start, which appends its entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-audit-leftovers-'));
    // A dead process's segment holding one held entry.
    writeFileSync(join(dir, '999999-deadbeef-00000000.jsonl'), `${JSON.stringify({ audit: { ts: 1, actor: 'admin', action: 'drain', subject: 'a', details: {} }, id: 'e1' })}\n`);
    const written: unknown[] = [];
    const open = (): InstanceType<typeof AuditOutbox> =>
      new AuditOutbox({ write: async (batch) => (written.push(...batch), []), journal: new Journal(dir), logger: silentLogger, retryMs: 10, now: Date.now });

    const first = open();
    await settle();
    first.close();
    expect(written).toHaveLength(0);
    expect(readdirSync(dir).filter((name) => name.endsWith('.jsonl'))).not.toEqual([]);

    const next = open();
    await settle();
    next.close();
    expect(written).toHaveLength(1);
  });
});
