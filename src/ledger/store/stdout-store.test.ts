import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonLinesLedgerStore } from './stdout-store.js';
import type { UsageEvent } from '../event.js';

const event = (id: string): UsageEvent => ({ id, request_id: `r-${id}`, deployment: 'd', provider: 'openai-compatible', model: 'm', cost_usd: 0.001 }) as unknown as UsageEvent;

describe('the JSON-lines ledger sink (ledger.store: stdout)', () => {
  it('writes one JSON line per event, in one write per batch, and resolves once written', async () => {
    const out = new PassThrough();
    const writes: string[] = [];
    out.on('data', (chunk: Buffer) => writes.push(chunk.toString()));
    const store = new JsonLinesLedgerStore(out);
    await expect(store.insert([event('a'), event('b')])).resolves.toBe(2);
    expect(writes).toHaveLength(1);
    const lines = (writes[0] as string).trimEnd().split('\n').map((l) => JSON.parse(l) as { switchyard_usage: { id: string } });
    expect(lines.map((l) => l.switchyard_usage.id)).toEqual(['a', 'b']);
    await expect(store.insert([])).resolves.toBe(0);
    expect(writes).toHaveLength(1);
  });

  it('answers queries with a clear not_found: usage is queried in the log platform', async () => {
    await expect(new JsonLinesLedgerStore(new PassThrough()).summarize({ from: 0, to: 1, groupBy: [] } as never)).rejects.toMatchObject({ kind: 'not_found', code: 'ledger_not_queryable' });
  });
});
