import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { toUsageEvent, type UsageEvent } from './event.js';
import { eventFromLine, journalLine } from './journal-line.js';
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

  it('is one line, half the bytes of the keyed object', () => {
    const event = toUsageEvent(attempt(), { usd: 0.001, priced: true });
    const line = journalLine(event);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(line.length).toBeLessThan(JSON.stringify(event).length * 0.7);
  });

  it('leaves keyed-object lines (spill files, older journals) as they are', () => {
    const event = toUsageEvent(attempt(), { usd: 0.001, priced: true });
    expect(eventFromLine(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });
});
