import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { makeUsage, type StreamPart } from '../core/types.js';
import { openUntilContent, relay, type StreamSettlement } from './stream.js';

const usage = makeUsage({ prompt: 12, completion: 3 });
/** What a runtime ending the stream itself throws in (a server's drain at its deadline). */
const SHUT_DOWN = new GatewayError({ kind: 'cancelled', message: 'The server shut down before the answer was done.' });

/**
 * An upstream that gives `list` and then waits (its end marker not come); `returned` counts the relay
 * letting go of it, which fails the waiting read as the transport does when it drops a body.
 */
function waitingAfter(list: StreamPart[]): { upstream: AsyncIterable<StreamPart>; returned: () => number } {
  let at = 0;
  let returned = 0;
  let waiting: ((err: Error) => void) | undefined;
  const iterator: AsyncIterator<StreamPart> = {
    next: () => (at < list.length ? Promise.resolve({ done: false, value: list[at++] as StreamPart }) : new Promise((_resolve, reject) => (waiting = reject))),
    return: () => {
      returned += 1;
      waiting?.(new GatewayError({ kind: 'cancelled', message: 'The upstream body was not read to its end.' }));
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return { upstream: { [Symbol.asyncIterator]: () => iterator }, returned: () => returned };
}

/** A relay of `list` (then a wait) whose consumer holds its end, as a front door's stream does, and what it settled. */
async function cutAfter(list: StreamPart[]) {
  const source = waitingAfter(list);
  const settled: StreamSettlement[] = [];
  const abort = vi.fn<(reason: GatewayError) => void>();
  const parts = relay(await openUntilContent(source.upstream, 0, () => 0, 'test'), 9, abort, (s) => settled.push(s));
  parts.holdEnd();
  for (let read = 0; read < list.length; read++) await parts.next();
  return { parts, settled, abort, returned: source.returned };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('relay: a stream its consumer stops (a server shutting down)', () => {
  it('settles a cancellation thrown in mid-answer with that reason, not as a client leaving, stops the upstream and throws back what was billed', async () => {
    const { parts, settled, abort } = await cutAfter([{ type: 'text', delta: 'abcdefgh' }]);
    await expect(parts.throw?.(SHUT_DOWN)).rejects.toMatchObject({ kind: 'cancelled', message: SHUT_DOWN.message, spent: { usage: makeUsage({ prompt: 9, completion: 2 }), estimated: true } });
    expect(abort).toHaveBeenCalledWith(SHUT_DOWN);
    expect(settled.map((s) => [s.outcome, s.error?.kind, s.error?.message])).toEqual([['cancelled', 'cancelled', SHUT_DOWN.message]]);
  });

  it("still settles a consumer's early return() as the client disconnecting", async () => {
    const { parts, settled } = await cutAfter([{ type: 'text', delta: 'abcdefgh' }]);
    await parts.return?.();
    expect(settled.map((s) => [s.outcome, s.error?.message])).toEqual([['cancelled', 'The client disconnected.']]);
  });

  it('settles a cancellation thrown in before the first read, which leaves the upstream open otherwise', async () => {
    const source = waitingAfter([{ type: 'text', delta: 'ab' }]);
    const settled: StreamSettlement[] = [];
    const abort = vi.fn<(reason: GatewayError) => void>();
    const parts = relay(await openUntilContent(source.upstream, 0, () => 0, 'test'), 9, abort, (s) => settled.push(s));
    await expect(parts.throw?.(SHUT_DOWN)).rejects.toMatchObject({ kind: 'cancelled', message: SHUT_DOWN.message });
    expect(abort).toHaveBeenCalledWith(SHUT_DOWN);
    expect(settled.map((s) => [s.outcome, s.error?.message])).toEqual([['cancelled', SHUT_DOWN.message]]);
  });

  it("hands out the end of an answer whose finish and usage went out, its upstream's end marker not read yet: taken, it is ok, the upstream let go of, not aborted", async () => {
    const { parts, settled, abort, returned } = await cutAfter([{ type: 'text', delta: 'abcd' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]);
    expect(await parts.throw?.(SHUT_DOWN)).toEqual({ done: true, value: undefined });
    expect(returned()).toBe(1);
    // The read it let go of fails late: the answer's end stays the consumer's.
    await flush();
    expect(settled).toEqual([]);
    await parts.return?.();
    expect(settled).toMatchObject([{ outcome: 'ok', usage, usageEstimated: false, finishReason: 'stop' }]);
    expect(abort).not.toHaveBeenCalled();
  });

  it('makes that end an error when the consumer fails on it (a door that could not write its closing frames)', async () => {
    const { parts, settled } = await cutAfter([{ type: 'text', delta: 'abcd' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]);
    await parts.throw?.(SHUT_DOWN);
    await expect(parts.throw?.(new TypeError('unencodable'))).rejects.toMatchObject({ kind: 'internal', spent: { usage, estimated: false } });
    expect(settled.map((s) => [s.outcome, s.error?.kind])).toEqual([['error', 'internal']]);
  });

  it('hands out the end too once the upstream has ended and the consumer has not confirmed it yet', async () => {
    const settled: StreamSettlement[] = [];
    async function* whole(): AsyncGenerator<StreamPart> {
      yield* [{ type: 'text', delta: 'abcd' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }] satisfies StreamPart[];
    }
    const parts = relay(await openUntilContent(whole(), 0, () => 0, 'test'), 9, () => undefined, (s) => settled.push(s));
    parts.holdEnd();
    for (let r = await parts.next(); !r.done; r = await parts.next());
    expect(await parts.throw?.(SHUT_DOWN)).toEqual({ done: true, value: undefined });
    await parts.return?.();
    expect(settled.map((s) => s.outcome)).toEqual(['ok']);
  });

  it('is no whole answer with the finish out and the usage not: the cancellation ends it as mid-answer', async () => {
    const { parts, settled } = await cutAfter([{ type: 'text', delta: 'abcd' }, { type: 'finish', finishReason: 'stop' }]);
    await expect(parts.throw?.(SHUT_DOWN)).rejects.toMatchObject({ kind: 'cancelled' });
    expect(settled.map((s) => [s.outcome, s.error?.message])).toEqual([['cancelled', SHUT_DOWN.message]]);
  });
});
