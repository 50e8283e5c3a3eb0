import { describe, expect, it, vi } from 'vitest';
import type { StreamPart } from '../core/types.js';
import { makeUsage } from '../core/types.js';
import { GatewayError } from '../core/errors.js';
import type { ReadyIterator } from '../core/ready.js';
import { openUntilContent, relay, type StreamSettlement } from './stream.js';

async function* parts(list: StreamPart[], fail?: Error): AsyncGenerator<StreamPart> {
  yield* list;
  if (fail) throw fail;
}

async function open(list: StreamPart[], fail?: Error) {
  return openUntilContent(parts(list, fail), 0, () => 5, 'test');
}

describe('openUntilContent', () => {
  it('counts reasoning as the first content: once sent, there is no fallback', async () => {
    const opened = await openUntilContent(parts([{ type: 'start' }, { type: 'reasoning', delta: 'hm' }], new Error('later')), 0, () => 5, 'test');
    expect(opened.head).toEqual([{ type: 'start' }, { type: 'reasoning', delta: 'hm' }]);
  });

  it('counts a refusal as content: its words reach the client, so there is no fallback after them', async () => {
    const opened = await open([{ type: 'start' }, { type: 'refusal', delta: 'No.' }], new Error('later'));
    expect(opened.head).toEqual([{ type: 'start' }, { type: 'refusal', delta: 'No.' }]);
  });

  it('counts redacted reasoning as content too, and provider metadata not', async () => {
    const head: StreamPart[] = [{ type: 'start' }, { type: 'provider-metadata', namespace: 'anthropic', data: { a: 1 } }, { type: 'redacted-reasoning', data: 'sealed' }];
    expect((await open([...head, { type: 'text', delta: 'x' }])).head).toEqual(head);
    await expect(open([{ type: 'start' }, { type: 'provider-metadata', namespace: 'anthropic', data: {} }])).rejects.toMatchObject({ kind: 'network' });
  });
});

describe('relay', () => {
  const usage = makeUsage({ prompt: 3, completion: 2 });

  /** An upstream whose parts come in reads: `next()` gives the next part (waiting for a read), `takeReady()` only those of the last read. */
  function inReads(batches: StreamPart[][]): ReadyIterator<StreamPart> {
    let read: StreamPart[] = [];
    let b = 0;
    return {
      next: async () => {
        if (read.length === 0) {
          if (b >= batches.length) return { done: true, value: undefined };
          read = [...(batches[b++] as StreamPart[])];
        }
        return { done: false, value: read.shift() as StreamPart };
      },
      takeReady: () => read.shift(),
    };
  }

  it('hands out the parts already at hand without a promise, accounted like the rest, once next() started it', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const opened = await openUntilContent(
      { [Symbol.asyncIterator]: () => inReads([[{ type: 'start' }, { type: 'text', delta: 'hi' }, { type: 'text', delta: 'there' }], [{ type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]]) },
      0,
      () => 5,
      'test',
    );
    const it = relay(opened, 9, () => undefined, settle);
    expect(it.takeReady()).toBeUndefined();
    expect(await it.next()).toEqual({ done: false, value: { type: 'start' } });
    expect(it.takeReady()).toEqual({ type: 'text', delta: 'hi' }); // read while opening
    expect(it.takeReady()).toEqual({ type: 'text', delta: 'there' }); // the rest of the upstream's read
    expect(it.takeReady()).toBeUndefined();
    expect(await it.next()).toEqual({ done: false, value: { type: 'finish', finishReason: 'stop' } });
    expect(it.takeReady()).toEqual({ type: 'usage', usage }); // after the finish, in the same read
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(it.takeReady()).toBeUndefined();
    expect(settle).toHaveBeenCalledTimes(1);
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'ok', usage, usageEstimated: false, finishReason: 'stop' });
  });

  it('relays head and rest in order and settles once with the upstream usage', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const list: StreamPart[] = [{ type: 'start', id: 'a', model: 'm' }, { type: 'text', delta: 'hi' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }];
    const opened = await open(list);
    const out: StreamPart[] = [];
    for await (const p of relay(opened, 9, () => undefined, settle)) out.push(p);
    expect(out).toEqual(list);
    expect(settle).toHaveBeenCalledTimes(1);
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'ok', usage, usageEstimated: false });
  });

  it('says stop, not tool_calls, when the upstream finishes for tool calls it never sent, and settles with that finish', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const out: StreamPart[] = [];
    for await (const p of relay(await open([{ type: 'text', delta: 'hi' }, { type: 'finish', finishReason: 'tool_calls' }, { type: 'usage', usage }]), 9, () => undefined, settle)) out.push(p);
    expect(out).toEqual([{ type: 'text', delta: 'hi' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]);
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'ok', finishReason: 'stop' });
  });

  it('keeps a tool_calls finish after a tool call', async () => {
    const call: StreamPart = { type: 'tool-call', index: 0, id: 'c1', name: 'f', argumentsDelta: '{}' };
    const out: StreamPart[] = [];
    for await (const p of relay(await open([call, { type: 'finish', finishReason: 'tool_calls' }, { type: 'usage', usage }]), 9, () => undefined, () => undefined)) out.push(p);
    expect(out).toEqual([call, { type: 'finish', finishReason: 'tool_calls' }, { type: 'usage', usage }]);
  });

  it('gives the client one finish and one usage, the last, after everything else, however often and wherever the upstream sends them', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const early = makeUsage({ prompt: 3, completion: 1 });
    const list: StreamPart[] = [{ type: 'usage', usage: early }, { type: 'text', delta: 'hi' }, { type: 'usage', usage: early }, { type: 'finish', finishReason: 'stop' }, { type: 'finish', finishReason: 'length' }, { type: 'usage', usage }, { type: 'usage', usage: early }];
    const out: StreamPart[] = [];
    for await (const p of relay(await open(list), 9, () => undefined, settle)) out.push(p);
    expect(out).toEqual([{ type: 'text', delta: 'hi' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]);
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'ok', usage, usageEstimated: false, finishReason: 'stop' });
    // A usage only before the finish is held to the end, and billed.
    const heldSettle = vi.fn<(s: StreamSettlement) => void>();
    const held: StreamPart[] = [];
    for await (const p of relay(await open([{ type: 'usage', usage }, { type: 'text', delta: 'hi' }, { type: 'finish', finishReason: 'stop' }]), 9, () => undefined, heldSettle)) held.push(p);
    expect(held).toEqual([{ type: 'text', delta: 'hi' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]);
    expect(heldSettle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'ok', usage, usageEstimated: false });
  });

  it('fails a stream whose upstream goes on after its finish (the client has the finish, not the answer), stopping the upstream; an empty delta is no content', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const abort = vi.fn();
    const list: StreamPart[] = [{ type: 'text', delta: 'hi' }, { type: 'finish', finishReason: 'stop' }, { type: 'text', delta: '' }, { type: 'text', delta: 'more' }, { type: 'usage', usage }];
    const it = relay(await open(list), 9, abort, settle);
    expect((await it.next()).value).toEqual({ type: 'text', delta: 'hi' });
    expect((await it.next()).value).toEqual({ type: 'finish', finishReason: 'stop' });
    expect((await it.next()).value).toEqual({ type: 'text', delta: '' });
    await expect(it.next()).rejects.toMatchObject({ kind: 'bad_upstream_response' });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(abort).toHaveBeenCalledOnce();
    expect(settle).toHaveBeenCalledTimes(1);
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'error', finishReason: 'stop' });
  });

  it('throws and settles an error with estimated usage when the stream ends without finishing, the error saying what was billed', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const it = relay(await open([{ type: 'text', delta: 'abcdefgh' }]), 9, () => undefined, settle);
    expect((await it.next()).value).toEqual({ type: 'text', delta: 'abcdefgh' });
    await expect(it.next()).rejects.toMatchObject({ kind: 'network', spent: { usage: makeUsage({ prompt: 9, completion: 2 }), estimated: true } });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(settle).toHaveBeenCalledTimes(1);
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'error', usage: { prompt: 9, completion: 2 }, usageEstimated: true });
  });

  it('ends a finished stream without upstream usage with an estimated usage part, settled as estimated', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const out: StreamPart[] = [];
    for await (const p of relay(await open([{ type: 'reasoning', delta: 'abcd' }, { type: 'text', delta: 'efgh' }, { type: 'finish', finishReason: 'stop' }]), 9, () => undefined, settle)) out.push(p);
    const estimated = makeUsage({ prompt: 9, completion: 2 });
    expect(out.at(-1)).toEqual({ type: 'usage', usage: estimated, estimated: true });
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'ok', usage: estimated, usageEstimated: true });
  });

  it("estimates a refusal's words into the completion of a stream without upstream usage", async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    for await (const p of relay(await open([{ type: 'refusal', delta: 'abcdefgh' }, { type: 'finish', finishReason: 'stop' }]), 9, () => undefined, settle)) void p;
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'ok', usage: makeUsage({ prompt: 9, completion: 2 }), usageEstimated: true });
  });

  it('on an early stop aborts the upstream and settles cancelled, also when it was never read', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const abort = vi.fn();
    for await (const p of relay(await open([{ type: 'text', delta: 'a' }, { type: 'text', delta: 'b' }]), 1, abort, settle)) if (p.type === 'text') break;
    expect(abort).toHaveBeenCalledTimes(1);
    expect(settle.mock.calls.map((c) => c[0].outcome)).toEqual(['cancelled']);
    const unread = relay(await open([{ type: 'text', delta: 'a' }]), 1, abort, settle);
    await unread.return?.();
    expect(abort).toHaveBeenCalledTimes(2);
    expect(settle.mock.calls.map((c) => c[0].outcome)).toEqual(['cancelled', 'cancelled']);
    await unread.return?.();
    expect(settle).toHaveBeenCalledTimes(2);
  });

  it('settles an upstream failure mid-stream as an error once', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const it = relay(await open([{ type: 'text', delta: 'a' }], new Error('boom')), 1, () => undefined, settle);
    await it.next();
    await expect(it.next()).rejects.toMatchObject({ kind: 'internal' });
    await it.return?.();
    expect(settle.mock.calls.map((c) => c[0].outcome)).toEqual(['error']);
  });
  it("settles a consumer's failure on a part (a door that could not encode it) as an error once, throwing back what was billed, also on the last part, after the upstream ended", async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const bug = new TypeError('unencodable');
    const mid = relay(await open([{ type: 'text', delta: 'abcdefgh' }, { type: 'text', delta: 'more' }]), 9, () => undefined, settle);
    await mid.next();
    const thrown = await mid.throw?.(bug).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ kind: 'internal', cause: bug, spent: { usage: makeUsage({ prompt: 9, completion: 2 }), estimated: true } });
    expect(settle.mock.calls.map((c) => [c[0].outcome, c[0].error?.kind])).toEqual([['error', 'internal']]);
    // Failing on the last part, the estimated usage handed out once the upstream ended: the client gets an
    // error, so the attempt is one, billed the estimate it was handed.
    const last = relay(await open([{ type: 'text', delta: 'abcd' }, { type: 'finish', finishReason: 'stop' }]), 9, () => undefined, settle);
    for (let r = await last.next(); !r.done && r.value.type !== 'usage'; r = await last.next());
    await expect(last.throw?.(bug)).rejects.toMatchObject({ kind: 'internal', spent: { usage: makeUsage({ prompt: 9, completion: 1 }), estimated: true } });
    expect(settle.mock.calls.map((c) => [c[0].outcome, c[0].error?.kind, c[0].usageEstimated])).toEqual([['error', 'internal', true], ['error', 'internal', true]]);
    // Or on a usage the upstream sent before its finish, held to the end: billed that usage.
    const paid = makeUsage({ prompt: 30, completion: 7 });
    const held = relay(await open([{ type: 'text', delta: 'abcd' }, { type: 'usage', usage: paid }, { type: 'finish', finishReason: 'stop' }]), 9, () => undefined, settle);
    for (let r = await held.next(); !r.done && r.value.type !== 'usage'; r = await held.next());
    await expect(held.throw?.(bug)).rejects.toMatchObject({ kind: 'internal', spent: { usage: paid, estimated: false } });
    expect(settle.mock.calls[2]?.[0]).toMatchObject({ outcome: 'error', usage: paid, usageEstimated: false });
  });

  it('settles a clean end once the consumer took the last part: when it asks for more, or stops there', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const read = relay(await open([{ type: 'text', delta: 'abcd' }, { type: 'finish', finishReason: 'stop' }]), 9, () => undefined, settle);
    for (let r = await read.next(); !r.done && r.value.type !== 'usage'; r = await read.next());
    expect(settle).not.toHaveBeenCalled();
    expect(await read.next()).toEqual({ done: true, value: undefined });
    const stopped = relay(await open([{ type: 'text', delta: 'abcd' }, { type: 'finish', finishReason: 'stop' }]), 9, () => undefined, settle);
    for (let r = await stopped.next(); !r.done && r.value.type !== 'usage'; r = await stopped.next());
    await stopped.return?.();
    expect(settle.mock.calls.map((c) => [c[0].outcome, c[0].usage])).toEqual([['ok', makeUsage({ prompt: 9, completion: 1 })], ['ok', makeUsage({ prompt: 9, completion: 1 })]]);
  });

  it('with holdEnd, settles a clean end only when the consumer confirms it: ok at its return(), an error billed what the upstream spent at its throw()', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const usage = makeUsage({ prompt: 12, completion: 3 });
    const answer: StreamPart[] = [{ type: 'text', delta: 'abcd' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }];
    const drain = async (it: AsyncIterator<StreamPart>): Promise<void> => {
      for (let r = await it.next(); !r.done; r = await it.next());
    };
    const taken = relay(await open(answer), 9, () => undefined, settle);
    taken.holdEnd();
    await drain(taken);
    expect(await taken.next()).toEqual({ done: true, value: undefined });
    expect(settle).not.toHaveBeenCalled();
    await taken.return?.();
    const failed = relay(await open(answer), 9, () => undefined, settle);
    failed.holdEnd();
    await drain(failed);
    await expect(failed.throw?.(new TypeError('unencodable'))).rejects.toMatchObject({ kind: 'internal', spent: { usage, estimated: false } });
    await failed.return?.();
    expect(settle.mock.calls.map((c) => [c[0].outcome, c[0].usage, c[0].usageEstimated])).toEqual([['ok', usage, false], ['error', usage, false]]);
  });

  it("stops an upstream still answering when the consumer fails on a part: it would go on generating, and billing, tokens nobody reads", async () => {
    let stopped = false;
    async function* endless(): AsyncGenerator<StreamPart> {
      try {
        for (;;) yield { type: 'text', delta: 'more ' };
      } finally {
        stopped = true;
      }
    }
    const abortUpstream = vi.fn<(reason: GatewayError) => void>();
    const it = relay(await openUntilContent(endless(), 0, () => 5, 'test'), 1, abortUpstream, () => undefined);
    await it.next();
    await it.next();
    await it.throw?.(new TypeError('unencodable')).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect([abortUpstream.mock.calls.length, stopped]).toEqual([1, true]);
  });

  it('settles a failure the upstream billed (a malformed answer, its usage after it) with that usage, not an estimate', async () => {
    const settle = vi.fn<(s: StreamSettlement) => void>();
    const paid = makeUsage({ prompt: 30, completion: 7 });
    const glitch = new GatewayError({ kind: 'bad_upstream_response', message: 'malformed', paidUsage: paid });
    const it = relay(await open([{ type: 'text', delta: 'a' }], glitch), 1, () => undefined, settle);
    await it.next();
    await expect(it.next()).rejects.toMatchObject({ kind: 'bad_upstream_response', spent: { usage: paid, estimated: false } });
    expect(settle.mock.calls[0]?.[0]).toMatchObject({ outcome: 'error', usage: paid, usageEstimated: false });
  });

  it('times a stalled stream out within 10 % of the idle limit, counted from the last part', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      // The first part arrives at once; each later one when the test hands it over.
      const waiting: ((r: IteratorResult<StreamPart>) => void)[] = [];
      let reads = 0;
      const upstream: AsyncIterable<StreamPart> = {
        [Symbol.asyncIterator]: () => ({
          next: () => (reads++ === 0 ? Promise.resolve({ done: false, value: { type: 'text', delta: 'a' } }) : new Promise((r) => waiting.push(r))),
        }),
      };
      const opened = await openUntilContent(upstream, 0, () => 0, 'test');
      const abort = vi.fn();
      const it = relay(opened, 1, abort, () => undefined, 1000);
      await it.next(); // the head part; the idle clock starts
      const second = it.next();
      await vi.advanceTimersByTimeAsync(130);
      waiting.shift()?.({ done: false, value: { type: 'text', delta: 'b' } });
      await second;
      void it.next().catch(() => undefined);
      // The last part came at t=130: the limit is reached at t=1130, tolerated between 1030 and 1230.
      await vi.advanceTimersByTimeAsync(1030 - 130 - 1);
      expect(abort).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(200);
      expect(abort).toHaveBeenCalledTimes(1);
      expect(abort.mock.calls[0]?.[0]).toMatchObject({ kind: 'timeout' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends a stream that trickles on past the length limit with a timeout, however steady its parts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      // The first part at once, then one every 300 ms, forever: never idle for the 1 s idle limit.
      let aborted: Error | undefined;
      let reads = 0;
      const upstream: AsyncIterable<StreamPart> = {
        [Symbol.asyncIterator]: () => ({
          next: () =>
            new Promise<IteratorResult<StreamPart>>((resolve, reject) => {
              if (reads++ === 0) return resolve({ done: false, value: { type: 'text', delta: '.' } });
              if (aborted) return reject(aborted);
              setTimeout(() => (aborted ? reject(aborted) : resolve({ done: false, value: { type: 'text', delta: '.' } })), 300);
            }),
        }),
      };
      const opened = await openUntilContent(upstream, 0, () => 0, 'test');
      const settled: StreamSettlement[] = [];
      const abort = vi.fn((reason: Error) => (aborted = reason));
      const it = relay(opened, 1, abort, (s) => settled.push(s), 1000, 5000);
      let read = 0;
      let failure: unknown;
      const drained = (async () => {
        for (let next = await it.next(); !next.done; next = await it.next()) read += 1;
      })().catch((err: unknown) => (failure = err));
      await vi.advanceTimersByTimeAsync(4900);
      expect(abort).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(500);
      await drained;
      expect(abort).toHaveBeenCalledTimes(1);
      expect(failure).toMatchObject({ kind: 'timeout', message: expect.stringContaining('routing.stream_max_ms') });
      expect(read).toBeGreaterThan(10);
      expect(settled).toMatchObject([{ outcome: 'error' }]);
    } finally {
      vi.useRealTimers();
    }
  });

  describe('an upstream that stalls after its last part', () => {
    /** Gives `list` at once, then waits; `abort` rejects the waiting read with its reason, as the transport does. */
    function stallingAfter(list: StreamPart[]): { upstream: AsyncIterable<StreamPart>; abort: (reason: Error) => void } {
      let waiting: ((err: Error) => void) | undefined;
      let at = 0;
      const upstream: AsyncIterable<StreamPart> = {
        [Symbol.asyncIterator]: () => ({
          next: () => (at < list.length ? Promise.resolve({ done: false, value: list[at++] as StreamPart }) : new Promise<IteratorResult<StreamPart>>((_r, reject) => (waiting = reject))),
        }),
      };
      return { upstream, abort: (reason) => waiting?.(reason) };
    }

    async function relayUntilSettled(list: StreamPart[]): Promise<{ read: StreamPart[]; failure: unknown; settled: StreamSettlement[]; abort: ReturnType<typeof vi.fn> }> {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      try {
        const source = stallingAfter(list);
        const abort = vi.fn((reason: Error) => source.abort(reason));
        const settled: StreamSettlement[] = [];
        const it = relay(await openUntilContent(source.upstream, 0, () => 0, 'test'), 1, abort, (s) => settled.push(s), 1000);
        const read: StreamPart[] = [];
        let failure: unknown;
        const drained = (async () => {
          for (let next = await it.next(); !next.done; next = await it.next()) read.push(next.value);
        })().catch((err: unknown) => (failure = err));
        await vi.advanceTimersByTimeAsync(1100);
        await drained;
        return { read, failure, settled, abort };
      } finally {
        vi.useRealTimers();
      }
    }

    it('ends as complete when the finish and the usage had arrived (an upstream that never closes its body after [DONE])', async () => {
      const { read, failure, settled, abort } = await relayUntilSettled([{ type: 'text', delta: 'a' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]);
      expect(abort).toHaveBeenCalledTimes(1);
      expect(failure).toBeUndefined();
      expect(read.map((p) => p.type)).toEqual(['text', 'finish', 'usage']);
      expect(settled).toMatchObject([{ outcome: 'ok', usage, usageEstimated: false, finishReason: 'stop' }]);
    });

    it('still fails as a timeout when the usage had not arrived: the answer may be cut short', async () => {
      const { failure, settled } = await relayUntilSettled([{ type: 'text', delta: 'a' }, { type: 'finish', finishReason: 'stop' }]);
      expect(failure).toMatchObject({ kind: 'timeout' });
      expect(settled).toMatchObject([{ outcome: 'error' }]);
    });
  });
});
