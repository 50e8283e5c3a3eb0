import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { ReadyIterator } from '../../core/ready.js';
import { makeUsage, type StreamPart } from '../../core/types.js';
import { openUntilContent, relay, type StreamSettlement } from '../../gateway/stream.js';
import { SseStream, type StreamEncoder } from '../../http/sse.js';
import { writeAnswer } from './respond.js';

const UNAVAILABLE = new GatewayError({ kind: 'unavailable', message: 'The server is shutting down; retry the request.' });
const SHUT_DOWN = new GatewayError({ kind: 'cancelled', message: 'The server shut down before the answer was done.' });
const usage = makeUsage({ prompt: 5, completion: 7 });

/** A response behind a client that reads nothing: every write is buffered, and it never drains. */
function backedUp(): ServerResponse & { out: string[] } {
  const res = new EventEmitter() as unknown as ServerResponse & { out: string[]; destroyed: boolean };
  Object.assign(res, {
    out: [] as string[],
    destroyed: false,
    writableEnded: false,
    writeHead: () => res,
    write(text: string) {
      res.out.push(text);
      return false;
    },
    end(text: string) {
      res.out.push(`${text}<end>`);
    },
    destroy() {
      res.destroyed = true;
      res.emit('close');
    },
  });
  return res;
}

/** An upstream whose parts come when `give` hands them over, each call one read; it never sends its end marker. */
function upstream(): { parts: AsyncIterable<StreamPart>; give: (...parts: StreamPart[]) => void } {
  const read: StreamPart[] = [];
  let waiting: ((r: IteratorResult<StreamPart>) => void) | undefined;
  const iterator: ReadyIterator<StreamPart> = {
    next: () => (read.length > 0 ? Promise.resolve({ done: false, value: read.shift() as StreamPart }) : new Promise((resolve) => (waiting = resolve))),
    takeReady: () => read.shift(),
    return: () => Promise.resolve({ done: true, value: undefined }),
  };
  const give = (...parts: StreamPart[]): void => {
    read.push(...parts);
    const w = waiting;
    waiting = undefined;
    w?.({ done: false, value: read.shift() as StreamPart });
  };
  return { parts: { [Symbol.asyncIterator]: () => iterator }, give };
}

const encoder: StreamEncoder<StreamPart> = {
  part: (p) => JSON.stringify(p.type === 'text' ? p.delta : p.type),
  end: () => ['[DONE]'],
  error: (err) => JSON.stringify({ error: (err as GatewayError).message }),
};

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * A stream written to a client that reads nothing: its first text backs the socket up, then `next` comes
 * and is written behind it, then a drain's deadline cuts it. What reached the socket, and what was settled.
 */
async function cutBehindSlowReader(next: StreamPart[]): Promise<{ out: string[]; settled: StreamSettlement[] }> {
  const source = upstream();
  source.give({ type: 'text', delta: 'hello' });
  const settled: StreamSettlement[] = [];
  const parts = relay(await openUntilContent(source.parts, 0, () => 0, 'test'), 5, () => undefined, (s) => settled.push(s));
  const res = backedUp();
  const writing = writeAnswer(res, { status: 200, headers: {}, body: new SseStream(parts, encoder, { streamEnded: () => undefined }) }, 60_000);
  // Its first write backs the socket up: the stream now waits for the socket to drain.
  await tick();
  await tick();
  source.give(...next);
  await tick();
  await tick();
  await writing?.cut(UNAVAILABLE, SHUT_DOWN);
  return { out: res.out, settled };
}

describe("a drain's deadline and a stream backed up behind a slow reader", () => {
  it('ends one whose finish and usage are already written with its closing frames, not an error event, and records it ok', async () => {
    const { out, settled } = await cutBehindSlowReader([{ type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]);
    expect(out).toEqual(['data: "hello"\n\n', 'data: "finish"\n\ndata: "usage"\n\n', 'data: [DONE]\n\n<end>']);
    expect(settled).toMatchObject([{ outcome: 'ok', usage }]);
  });

  it("ends one cut mid-answer with the door's error event, recorded as the server's cancellation", async () => {
    const { out, settled } = await cutBehindSlowReader([{ type: 'text', delta: ' there' }]);
    expect(out).toEqual(['data: "hello"\n\n', 'data: " there"\n\n', `data: ${JSON.stringify({ error: UNAVAILABLE.message })}\n\n<end>`]);
    expect(settled.map((s) => [s.outcome, s.error?.message])).toEqual([['cancelled', SHUT_DOWN.message]]);
  });
});
