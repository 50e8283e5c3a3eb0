import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { makeUsage } from '../core/types.js';
import { toUsageEvent, type UsageEvent } from './event.js';
import { eventFromLine, journalLine, LEDGER_FIELDS, ledgerRow } from './journal-line.js';
import { COLUMNS } from './store/sql-store.js';
import { attempt } from './testing/fixtures.js';

const replayed = (event: UsageEvent): UsageEvent => eventFromLine(JSON.parse(journalLine(event)));

describe('a journal line', () => {
  it('gives back every field of the event, the optional ones included', () => {
    const hit = toUsageEvent(attempt({ cacheHit: true, quotaHeadroom: 0.25, ttftMs: 12, region: 'eu-west-1', tags: { key: 'k1', team: 't1', user: 'u1', app: 'x' } }), { usd: 0.42, priced: true });
    expect(replayed(hit)).toStrictEqual(hit);
  });

  it('gives back an event whose optional values are unset as unset, never as null', () => {
    const failed = toUsageEvent(attempt({ outcome: 'error', error: new GatewayError({ kind: 'timeout', message: 'slow' }) }), { usd: undefined, priced: false });
    const back = replayed(failed);
    expect(back).toEqual(failed);
    expect(Object.values(back)).not.toContain(null);
    expect('cacheHit' in back || 'savedUsd' in back || 'quotaHeadroom' in back).toBe(false);
  });

  it('gives back the one-hour part of the cache writes, so a replayed row can be priced again from its tokens', () => {
    const event = toUsageEvent(attempt({ usage: makeUsage({ prompt: 1000, cachedWrite: 400, cachedWrite1h: 300, completion: 10 }) }), { usd: 0.01, priced: true });
    expect(event.cachedWrite1hTokens).toBe(300);
    expect(replayed(event)).toStrictEqual(event);
  });

  it('replays a line written before the one-hour column (a row one value shorter) as no one-hour writes', () => {
    const event = toUsageEvent(attempt({ quotaHeadroom: 0.5, usage: makeUsage({ prompt: 1000, cachedWrite: 400, completion: 10 }) }), { usd: 0.01, priced: true });
    // The 31 values a build before the column wrote, quota headroom last.
    const earlier = ledgerRow(event).slice(0, 31);
    expect(earlier.at(-1)).toBe(0.5);
    expect(eventFromLine(JSON.parse(JSON.stringify(earlier)))).toStrictEqual({ ...event, cachedWrite1hTokens: 0 });
  });

  it('is one line, half the bytes of the keyed object', () => {
    const event = toUsageEvent(attempt(), { usd: 0.001, priced: true });
    const line = journalLine(event);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(line.length).toBeLessThan(JSON.stringify(event).length * 0.7);
  });

  it('is the event\'s SQL row: unset values null, tags as JSON text, flags 0 or 1', () => {
    const event = toUsageEvent(attempt({ tags: { app: 'x' } }), { usd: undefined, priced: false });
    const row = JSON.parse(journalLine(event)) as unknown[];
    expect(row).toEqual(ledgerRow(event));
    expect(row[LEDGER_FIELDS.indexOf('tags')]).toBe('{"app":"x"}');
    expect(row[LEDGER_FIELDS.indexOf('costUsd')]).toBeNull();
    expect([row[LEDGER_FIELDS.indexOf('usageEstimated')], row[LEDGER_FIELDS.indexOf('cacheHit')]]).toEqual([0, 0]);
    const hit = toUsageEvent(attempt({ cacheHit: true, usageEstimated: true }), { usd: 0.1, priced: true });
    expect(ledgerRow(hit)[LEDGER_FIELDS.indexOf('cacheHit')]).toBe(1);
    expect(ledgerRow(hit)[LEDGER_FIELDS.indexOf('usageEstimated')]).toBe(1);
  });

  it('reads the array lines of earlier builds (tags as an object, flags as booleans)', () => {
    const event = toUsageEvent(attempt({ cacheHit: true, tags: { app: 'x' } }), { usd: 0.1, priced: true });
    const earlier = LEDGER_FIELDS.map((f) => event[f] ?? null);
    expect(eventFromLine(JSON.parse(JSON.stringify(earlier)))).toStrictEqual(event);
  });

  it('follows the ledger table\'s column order', () => {
    const snake = (f: string) => ({ requestId: 'request_id', keyId: 'key_id', user: 'user_id', group: 'group_name', cachedWrite1hTokens: 'cached_write_1h_tokens' } as Record<string, string>)[f] ?? f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    expect(LEDGER_FIELDS.map(snake)).toEqual([...COLUMNS]);
  });

  it('reads a keyed-object line without the one-hour field (an older spill or log copy) as no one-hour writes', () => {
    const { cachedWrite1hTokens: _dropped, ...older } = toUsageEvent(attempt(), { usd: 0.001, priced: true });
    expect(eventFromLine(JSON.parse(JSON.stringify(older)))).toEqual({ ...older, cachedWrite1hTokens: 0 });
  });

  it('leaves keyed-object lines (spill files, older journals) as they are', () => {
    const event = toUsageEvent(attempt(), { usd: 0.001, priced: true });
    expect(eventFromLine(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });
});
