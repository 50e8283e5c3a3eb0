import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SseWriter } from './sse-writer.js';

/** A response whose socket never drains, as with a client that stopped reading. */
function stuckResponse(): ServerResponse & { written: string[] } {
  const res = new EventEmitter() as unknown as ServerResponse & { written: string[]; destroyed: boolean };
  Object.assign(res, {
    written: [] as string[],
    destroyed: false,
    writableEnded: false,
    write(text: string) {
      res.written.push(text);
      return false;
    },
    destroy() {
      res.destroyed = true;
      res.emit('close');
    },
  });
  return res;
}

afterEach(() => vi.useRealTimers());

describe('SseWriter', () => {
  it('joins the chunks of one loop turn into one write', async () => {
    const res = stuckResponse();
    const out = new SseWriter(res, 1_000);
    out.add('data: {"a":1}\n\n');
    out.add('data: {"b":2}\n\n');
    await new Promise((r) => setImmediate(r));
    expect(res.written).toEqual(['data: {"a":1}\n\ndata: {"b":2}\n\n']);
    res.destroy();
  });

  it('drops a client that reads nothing for the stall limit instead of waiting forever', async () => {
    vi.useFakeTimers();
    const res = stuckResponse();
    const out = new SseWriter(res, 1_000);
    out.add('data: {"a":1}\n\n');
    await vi.advanceTimersByTimeAsync(0);
    const waiting = out.add('data: {"b":2}\n\n');
    expect(waiting).toBeInstanceOf(Promise);
    await vi.advanceTimersByTimeAsync(999);
    expect(res.destroyed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(res.destroyed).toBe(true);
    await waiting;
  });
});
