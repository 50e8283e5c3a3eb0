import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LineBatch } from './line-batch.js';

function batchInto(maxChars = 100, maxWaitMs = 200): { batch: LineBatch; writes: string[] } {
  const writes: string[] = [];
  return { batch: new LineBatch({ write: (text: string) => writes.push(text) }, maxChars, maxWaitMs), writes };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('LineBatch', () => {
  it('hands lines on in one write, in order, once they reach the batch size', () => {
    const { batch, writes } = batchInto(30);
    batch.write('{"a":1}\n');
    batch.write('{"a":2}\n');
    batch.write('{"a":3}\n');
    expect(writes).toEqual([]);
    batch.write('{"a":4}\n');
    expect(writes).toEqual(['{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n']);
    batch.write('{"a":5}\n');
    expect(writes).toHaveLength(1);
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

  it('writes what waits on flush, and nothing when nothing waits', () => {
    const { batch, writes } = batchInto();
    batch.flush();
    batch.write('a\n');
    batch.write('b\n');
    batch.flush();
    expect(writes).toEqual(['a\nb\n']);
    vi.advanceTimersByTime(1_000);
    expect(writes).toEqual(['a\nb\n']);
  });

  it('does not keep the process alive for a waiting line', () => {
    const { batch } = batchInto();
    const unref = vi.spyOn(globalThis, 'setTimeout');
    batch.write('a\n');
    const timer = unref.mock.results[0]?.value as { hasRef(): boolean };
    expect(timer.hasRef()).toBe(false);
  });
});
