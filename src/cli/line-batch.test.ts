import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LineBatch } from './line-batch.js';

function batchInto(maxBytes = 100, maxWaitMs = 200): { batch: LineBatch; writes: string[] } {
  const writes: string[] = [];
  return { batch: new LineBatch({ write: (text: string) => writes.push(text) }, maxBytes, maxWaitMs), writes };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('LineBatch', () => {
  it('hands lines on in order, in writes that never pass the batch size', () => {
    const { batch, writes } = batchInto(30);
    batch.write('{"a":1}\n');
    batch.write('{"a":2}\n');
    batch.write('{"a":3}\n');
    expect(writes).toEqual([]);
    // 32 bytes with this one: what waits goes first.
    batch.write('{"a":4}\n');
    expect(writes).toEqual(['{"a":1}\n{"a":2}\n{"a":3}\n']);
    batch.flush();
    expect(writes).toEqual(['{"a":1}\n{"a":2}\n{"a":3}\n', '{"a":4}\n']);
  });

  it('counts bytes, not characters, and sends a line longer than a batch alone', () => {
    const { batch, writes } = batchInto(10);
    batch.write('éééé\n'); // 9 bytes
    batch.write('a\n');
    expect(writes).toEqual(['éééé\n']);
    batch.write('a line longer than ten bytes\n');
    expect(writes).toEqual(['éééé\n', 'a\n', 'a line longer than ten bytes\n']);
  });

  it('writes a lone line after the wait, and starts a new wait for the next', () => {
    const { batch, writes } = batchInto(100, 200);
    batch.write('one\n');
    vi.advanceTimersByTime(199);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual(['one\n']);
    batch.write('two\n');
    vi.advanceTimersByTime(200);
    expect(writes).toEqual(['one\n', 'two\n']);
  });

  it('writes what waits on flush and then calls back (pino’s logger.flush), and nothing when nothing waits', () => {
    const { batch, writes } = batchInto();
    const done = vi.fn();
    batch.flush(done);
    expect(done).toHaveBeenCalledTimes(1);
    batch.write('a\n');
    batch.write('b\n');
    batch.flush(done);
    expect(writes).toEqual(['a\nb\n']);
    expect(done).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1_000);
    expect(writes).toEqual(['a\nb\n']);
  });

  it('gives what waits to a caller that writes it itself, and forgets it', () => {
    const { batch, writes } = batchInto();
    batch.write('a\n');
    expect(batch.take()).toBe('a\n');
    expect(batch.take()).toBe('');
    vi.advanceTimersByTime(1_000);
    expect(writes).toEqual([]);
  });

  it('does not keep the process alive for a waiting line', () => {
    const { batch } = batchInto();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    batch.write('a\n');
    const timer = timers.mock.results[0]?.value as { hasRef(): boolean };
    expect(timer.hasRef()).toBe(false);
  });
});
