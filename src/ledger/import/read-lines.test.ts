import { describe, expect, it } from 'vitest';
import { journalLine, ledgerRow } from '../journal-line.js';
import { events } from '../testing/fixtures.js';
import type { UsageEvent } from '../event.js';
import { readUsageLine } from './read-lines.js';

const [event] = events(1) as [UsageEvent];
const keyed = JSON.stringify(event);

describe('reading usage events back from logs, spill files and journals', () => {
  it.each([
    ['a serverless copy', `{"switchyard_unstored_usage":${keyed}}`],
    ['the stdout ledger', `{"switchyard_usage":${keyed}}`],
    ['a CloudWatch export (timestamp first)', `2026-12-03T11:00:00.000Z\t{"switchyard_unstored_usage":${keyed}}`],
    ['Cloud Logging (jsonPayload)', JSON.stringify({ insertId: 'x', jsonPayload: { switchyard_unstored_usage: event }, severity: 'DEFAULT' })],
    ['a platform that kept the line as text', JSON.stringify({ timestamp: 'x', message: `{"switchyard_unstored_usage":${keyed}}` })],
    ['a spill file or journal row', journalLine(event).trimEnd()],
    ['an older spill line (the keyed event)', keyed],
  ])('reads %s', (_what, line) => {
    expect(readUsageLine(line)).toEqual({ kind: 'event', event });
  });

  it.each([
    ['an older keyed event', (e: UsageEvent) => JSON.stringify({ switchyard_usage: { ...e, cachedWrite1hTokens: undefined } })],
    ['an older journal row (31 values)', (e: UsageEvent) => JSON.stringify(ledgerRow(e).slice(0, 31))],
  ])('reads %s written before the one-hour cache-write field as no one-hour writes', (_what, line) => {
    const older = { ...event, cachedWriteTokens: 200 };
    expect(readUsageLine(line(older))).toEqual({ kind: 'event', event: { ...older, cachedWrite1hTokens: 0 } });
  });

  it('reads the one-hour part of the cache writes where a line has it', () => {
    const split = { ...event, cachedWriteTokens: 200, cachedWrite1hTokens: 150 };
    for (const line of [JSON.stringify({ switchyard_usage: split }), journalLine(split).trimEnd()]) expect(readUsageLine(line)).toEqual({ kind: 'event', event: split });
  });

  it('skips the other lines of a function log', () => {
    for (const line of ['START RequestId: 1 Version: $LATEST', '{"level":30,"msg":"request","status":200}', 'plain text {not json', '[1,2]']) {
      expect(readUsageLine(line).kind, line).toBe('other');
    }
  });

  it('names what is wrong with a line that claims to be usage and is not', () => {
    expect(readUsageLine('{"switchyard_usage": {"id": "x"')).toEqual({ kind: 'malformed', reason: 'not JSON' });
    expect(readUsageLine(JSON.stringify({ switchyard_usage: { ...event, promptTokens: -1 } }))).toEqual({ kind: 'malformed', reason: 'promptTokens is not a count' });
    expect(readUsageLine(JSON.stringify({ switchyard_usage: { ...event, deployment: 3 } }))).toEqual({ kind: 'malformed', reason: 'deployment is not a string' });
    expect(readUsageLine(JSON.stringify({ switchyard_usage: { ...event, costUsd: 'NaN' } }))).toEqual({ kind: 'malformed', reason: 'costUsd is not an amount' });
    expect(readUsageLine(JSON.stringify({ switchyard_usage: 'oops' })).kind).toBe('malformed');
  });

  it.each([
    ['an impossible token count', { promptTokens: 1e300 }, 'promptTokens is not a count'],
    ['a cost no attempt has', { costUsd: 1e300 }, 'costUsd is not an amount'],
    ['a day that is not ts\'s', { day: '1999-01-01' }, `day is not the UTC day of ts (${event.day})`],
    ['a fractional time', { ts: event.ts + 0.5 }, 'ts is not a time'],
    ['an object where a key id goes', { keyId: {} }, 'keyId is not a string'],
    ['an attempt number past the column', { attempt: 3_000_000_000 }, 'attempt is not a count'],
    ['a fractional latency', { latencyMs: 12.5 }, 'latencyMs is not a duration'],
    ['a fractional one-hour write count', { cachedWriteTokens: 10, cachedWrite1hTokens: 2.5 }, 'cachedWrite1hTokens is not a count'],
    ['more one-hour writes than cache writes', { cachedWriteTokens: 10, cachedWrite1hTokens: 11 }, 'cachedWrite1hTokens is more than cachedWriteTokens'],
    ['tags that are not strings', { tags: { key: { nested: [1] } } }, 'tags is not an object of strings'],
  ])('refuses %s, which would corrupt reports and budgets seeded from them', (_what, change, reason) => {
    expect(readUsageLine(JSON.stringify({ switchyard_usage: { ...event, ...change } }))).toEqual({ kind: 'malformed', reason });
  });

  it('reads hostile nesting without overflowing, and takes a log line with an id for what it is', () => {
    let deep = '{"x":1}';
    for (let i = 0; i < 20_000; i++) deep = `{"jsonPayload":${deep}}`;
    expect(readUsageLine(deep).kind).toBe('other');
    expect(readUsageLine(JSON.stringify({ level: 50, msg: 'upstream error', id: 'abc', deployment: 'sim' })).kind).toBe('other');
  });
});
