import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { ReadyIterator } from '../core/ready.js';
import { makeUsage } from '../core/types.js';
import { SseStream, type StreamEncoder, type StreamListener } from './sse.js';

/** Parts from an array, recording how the consumer closed them. */
function parts(values: string[]): AsyncIterator<string> & { returned: number; thrown: unknown[] } {
  let i = 0;
  const it = {
    returned: 0,
    thrown: [] as unknown[],
    next: async (): Promise<IteratorResult<string>> => (i < values.length ? { done: false, value: values[i++] as string } : { done: true, value: undefined }),
    return: async (): Promise<IteratorResult<string>> => {
      it.returned += 1;
      return { done: true, value: undefined };
    },
    throw: async (err: unknown): Promise<IteratorResult<string>> => {
      it.thrown.push(err);
      throw err;
    },
  };
  return it;
}

/** Parts that arrive in reads: `next()` gives the next part (waiting for a read), `takeReady()` only those of the last read. */
function reads(batches: string[][]): ReadyIterator<string> & { thrown: unknown[] } {
  let read: string[] = [];
  let b = 0;
  const it = {
    thrown: [] as unknown[],
    next: async (): Promise<IteratorResult<string>> => {
      if (read.length === 0) {
        if (b >= batches.length) return { done: true, value: undefined };
        read = [...(batches[b++] as string[])];
      }
      return { done: false, value: read.shift() as string };
    },
    takeReady: (): string | undefined => read.shift(),
    throw: async (err: unknown): Promise<IteratorResult<string>> => {
      it.thrown.push(err);
      throw err;
    },
  };
  return it;
}

const upper: StreamEncoder<string> = {
  part: (p) => (p === 'skip' ? undefined : JSON.stringify(p.toUpperCase())),
  end: () => ['"last"', '[DONE]'],
  error: (err) => JSON.stringify({ error: String(err) }),
};

async function drain(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

describe('SseStream', () => {
  it('sends the frames of an encoder that names its events as they are, closing and error frames too', async () => {
    const named: StreamEncoder<string> = {
      framed: true,
      part: (p) => `event: part\ndata: "${p}"\n\n`,
      end: () => ['event: stop\ndata: {}\n\n'],
      error: () => 'event: error\ndata: {}\n\n',
    };
    expect(await drain(new SseStream(parts(['a']), named, { streamEnded: () => undefined }))).toEqual(['event: part\ndata: "a"\n\n', 'event: stop\ndata: {}\n\n']);
    const failing = { next: async (): Promise<IteratorResult<string>> => Promise.reject(new Error('x')) };
    expect(await drain(new SseStream(failing, named, { streamEnded: () => undefined }))).toEqual(['event: error\ndata: {}\n\n']);
  });
  it('frames each part as data, skips parts without a frame, and ends with the closing frames in one chunk', async () => {
    const ended = vi.fn();
    const out = await drain(new SseStream(parts(['a', 'skip', 'b']), upper, { streamEnded: ended }));
    expect(out).toEqual(['data: "A"\n\n', 'data: "B"\n\n', 'data: "last"\n\ndata: [DONE]\n\n']);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it('writes the frames of an encoder that frames its own named events as they are', async () => {
    const named: StreamEncoder<string> = {
      framed: true,
      part: (p) => `event: t\ndata: "${p}"\n\nevent: t\ndata: "${p}2"\n\n`,
      end: () => ['event: done\ndata: {}\n\n'],
      error: () => 'event: error\ndata: {}\n\n',
    };
    const out = await drain(new SseStream(parts(['a']), named, { streamEnded: () => undefined }));
    expect(out).toEqual(['event: t\ndata: "a"\n\nevent: t\ndata: "a2"\n\n', 'event: done\ndata: {}\n\n']);
  });

  it('closes the parts when the consumer stops pulling (the client went away), and reports the end once', async () => {
    const source = parts(['a', 'b', 'c']);
    const ended = vi.fn();
    const stream = new SseStream(source, upper, { streamEnded: ended });
    expect((await stream.next()).value).toBe('data: "A"\n\n');
    await stream.return();
    await stream.return();
    expect(source.returned).toBe(1);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('ends with the error event when the parts fail, and fails the parts when encoding a part throws', async () => {
    const failing: AsyncIterator<string> = { next: async () => Promise.reject(new Error('upstream broke')) };
    expect(await drain(new SseStream(failing, upper, { streamEnded: () => undefined }))).toEqual(['data: {"error":"Error: upstream broke"}\n\n']);
    const source = parts(['a']);
    const bad: StreamEncoder<string> = { ...upper, part: () => { throw new Error('ours'); } };
    expect(await drain(new SseStream(source, bad, { streamEnded: () => undefined }))).toEqual(['data: {"error":"Error: ours"}\n\n']);
    expect(source.thrown).toHaveLength(1);
    expect(source.returned).toBe(0);
  });

  it('ends a stream whose part it could not encode with the error the parts throw back, which says what the attempt was billed', async () => {
    const billed = new GatewayError({ kind: 'internal', message: 'Internal gateway error.' }).withSpent({ usage: makeUsage({ prompt: 3, completion: 1 }), estimated: true });
    const settling = { ...parts(['a', 'b']), throw: async (): Promise<IteratorResult<string>> => Promise.reject(billed) };
    const told: unknown[] = [];
    const picky: StreamEncoder<string> = { ...upper, part: (p) => { if (p === 'b') throw new TypeError('unencodable'); return upper.part(p); }, error: (err) => { told.push(err); return '"error"'; } };
    expect(await drain(new SseStream(settling, picky, { streamEnded: () => undefined }))).toEqual(['data: "A"\n\n', 'data: "error"\n\n']);
    expect(told).toEqual([billed]);
  });

  it('holds the end of the parts until its closing frames are encoded, then takes it (return); closing frames it cannot encode fail the parts and end with the error they throw back', async () => {
    const held: string[] = [];
    const holding = (): ReturnType<typeof parts> => {
      const source = parts(['a']);
      return Object.assign(source, { holdEnd: () => void held.push('held'), return: async (): Promise<IteratorResult<string>> => { held.push('taken'); source.returned += 1; return { done: true, value: undefined }; } });
    };
    const ends: string[] = [];
    const listener: StreamListener = { streamEnded: (kind) => void ends.push(kind ?? 'ok') };
    expect(await drain(new SseStream(holding(), { ...upper, end: () => { held.push('encoded'); return upper.end(); } }, listener))).toEqual(['data: "A"\n\n', 'data: "last"\n\ndata: [DONE]\n\n']);
    expect(held).toEqual(['held', 'encoded', 'taken']);

    const billed = new GatewayError({ kind: 'internal', message: 'Internal gateway error.' }).withSpent({ usage: makeUsage({ prompt: 3, completion: 1 }), estimated: false });
    const failing = Object.assign(holding(), { throw: async (): Promise<IteratorResult<string>> => Promise.reject(billed) });
    const told: unknown[] = [];
    const broken: StreamEncoder<string> = { ...upper, end: () => { throw new TypeError('unencodable'); }, error: (err) => { told.push(err); return '"error"'; } };
    expect(await drain(new SseStream(failing, broken, listener))).toEqual(['data: "A"\n\n', 'data: "error"\n\n']);
    expect([told, failing.returned, ends]).toEqual([[billed], 0, ['ok', 'internal']]);
  });

  it("tells the listener of a failure of the gateway's own, with its cause, once: a part it could not encode or parts that failed so; not an upstream's failure", async () => {
    const internal = async (stream: (listener: StreamListener) => SseStream<string>): Promise<unknown[]> => {
      const told: unknown[] = [];
      await drain(stream({ streamEnded: () => undefined, internalError: (err) => told.push(err) }));
      return told;
    };
    const bug = new TypeError('unencodable');
    expect(await internal((l) => new SseStream(parts(['a']), { ...upper, part: () => { throw bug; } }, l))).toEqual([bug]);
    const broken = new GatewayError({ kind: 'internal', message: 'Internal gateway error.', cause: bug });
    expect(await internal((l) => new SseStream({ next: async () => Promise.reject(broken) }, upper, l))).toEqual([broken]);
    expect(await internal((l) => new SseStream({ next: async () => Promise.reject(new GatewayError({ kind: 'network', message: 'cut' })) }, upper, l))).toEqual([]);
  });

  it('tells the listener how the stream ended: the error kind of parts that failed or could not be encoded, cancelled when the consumer stopped early, nothing when it ended well', async () => {
    const endings = async (stream: (listener: { streamEnded: (kind?: string) => void }) => SseStream<string>, stop = false): Promise<Array<string | undefined>> => {
      const told: Array<string | undefined> = [];
      const s = stream({ streamEnded: (kind) => told.push(kind) });
      if (stop) {
        await s.next();
        await s.return();
      } else await drain(s);
      return told;
    };
    const cut: AsyncIterator<string> = { next: async () => Promise.reject(new GatewayError({ kind: 'network', message: 'cut' })) };
    expect(await endings((l) => new SseStream(cut, upper, l))).toEqual(['network']);
    expect(await endings((l) => new SseStream(parts(['a']), { ...upper, part: () => { throw new Error('ours'); } }, l))).toEqual(['internal']);
    expect(await endings((l) => new SseStream(parts(['a', 'b']), upper, l), true)).toEqual(['cancelled']);
    expect(await endings((l) => new SseStream(parts(['a']), upper, l))).toEqual([undefined]);
  });

  it('answers with the frames of every part already at hand: one chunk per upstream read, not per part', async () => {
    const out = await drain(new SseStream(reads([['a', 'skip', 'b'], ['skip'], ['c']]), upper, { streamEnded: () => undefined }));
    expect(out).toEqual(['data: "A"\n\ndata: "B"\n\n', 'data: "C"\n\n', 'data: "last"\n\ndata: [DONE]\n\n']);
  });

  it('sends the frames of the parts before one it cannot encode, then the error event', async () => {
    const source = reads([['a', 'bad', 'c']]);
    const picky: StreamEncoder<string> = { ...upper, part: (p) => { if (p === 'bad') throw new Error('ours'); return upper.part(p); } };
    expect(await drain(new SseStream(source, picky, { streamEnded: () => undefined }))).toEqual(['data: "A"\n\ndata: {"error":"Error: ours"}\n\n']);
    expect(source.thrown).toHaveLength(1);
  });

  it('is not ending while parts flow', async () => {
    const stream = new SseStream(parts(['a', 'b']), upper, { streamEnded: () => undefined });
    expect(stream.ending).toBe(false);
    expect(await stream.next()).toEqual({ done: false, value: 'data: "A"\n\n' });
    expect(stream.ending).toBe(false);
  });

  it('settles the parts before it asks beforeEnd, so the closing frames wait for the usage the settlement journals', async () => {
    const order: string[] = [];
    for (const encoder of [upper, { ...upper, end: () => { throw new Error('no closing frames'); } }]) {
      order.length = 0;
      const source = { ...parts(['a']), holdEnd: () => undefined };
      source.return = async () => {
        order.push('settled (return)');
        return { done: true, value: undefined };
      };
      source.throw = async (err: unknown) => {
        order.push('settled (throw)');
        throw err;
      };
      const stream = new SseStream(source, encoder, { streamEnded: () => undefined, internalError: () => undefined, beforeEnd: () => void order.push('beforeEnd') });
      await drain(stream);
      expect(order).toEqual([encoder === upper ? 'settled (return)' : 'settled (throw)', 'beforeEnd']);
    }
  });

  it('holds the closing frames, the error event too, until the listener\'s beforeEnd resolves', async () => {
    for (const source of [parts(['a']), { next: async (): Promise<IteratorResult<string>> => Promise.reject(new Error('broke')) }]) {
      let release: () => void = () => undefined;
      const durable = new Promise<void>((r) => (release = r));
      const stream = new SseStream(source, upper, { streamEnded: () => undefined, beforeEnd: () => durable });
      const frames = drain(stream);
      let ended = false;
      void frames.then(() => (ended = true));
      await new Promise((r) => setTimeout(r, 10));
      expect(ended).toBe(false);
      // What is left is the closing frames: a writer may hold the rest of the turn for them.
      expect(stream.ending).toBe(true);
      release();
      expect((await frames).at(-1)).toMatch(/\[DONE\]|broke/);
    }
  });
});

describe('SseStream.interrupt (the runtime ends the stream: a drain at its deadline)', () => {
  const unavailable = new GatewayError({ kind: 'unavailable', message: 'The server is shutting down; retry the request.' });
  const shutDown = new GatewayError({ kind: 'cancelled', message: 'The server shut down before the answer was done.' });
  const spent = { usage: makeUsage({ prompt: 3, completion: 1 }), estimated: true };
  /** Says which error the door was asked to write, and what it was billed. */
  const telling: StreamEncoder<string> = { ...upper, error: (err) => JSON.stringify(err instanceof GatewayError ? { kind: err.kind, message: err.message, spent: err.spent?.usage.total } : String(err)) };

  /** Parts read once, then stopped by `interrupt`: `settle` is what their `throw` does with the reason. */
  async function interrupted(settle: (reason: unknown) => Promise<IteratorResult<string>>): Promise<{ frames: string | undefined; thrown: unknown[]; returned: number; ended: Array<string | undefined> }> {
    const source = { ...parts(['a', 'b']), holdEnd: () => undefined };
    const thrown: unknown[] = [];
    let returned = 0;
    source.throw = async (reason: unknown) => {
      thrown.push(reason);
      return settle(reason);
    };
    source.return = async () => {
      returned += 1;
      return { done: true, value: undefined };
    };
    const ended: Array<string | undefined> = [];
    const stream = new SseStream(source, telling, { streamEnded: (kind) => void ended.push(kind) });
    await stream.next();
    const frames = await stream.interrupt(unavailable, shutDown);
    await stream.return();
    return { frames, thrown, returned, ended };
  }

  it("throws the runtime's reason into the parts, which settle with it, and ends with the door's error event for the error the client is told, billed what the parts say", async () => {
    const { frames, thrown, returned, ended } = await interrupted(async (reason) => Promise.reject((reason as GatewayError).withSpent(spent)));
    expect(thrown).toEqual([shutDown]);
    expect(frames).toBe(`data: ${JSON.stringify({ kind: 'unavailable', message: unavailable.message, spent: spent.usage.total })}\n\n`);
    // Parts that hold their end for a confirmation (a reload's generation) are let go of.
    expect(returned).toBe(1);
    expect(ended).toEqual(['unavailable']);
  });

  it('ends with the closing frames, not an error event, when the parts hand out their end: their answer was whole, and the end is taken', async () => {
    const { frames, returned, ended } = await interrupted(async () => ({ done: true, value: undefined }));
    expect(frames).toBe('data: "last"\n\ndata: [DONE]\n\n');
    expect(returned).toBe(1);
    expect(ended).toEqual([undefined]);
  });

  it('is undefined once the last frames are decided', async () => {
    const stream = new SseStream(parts([]), upper, { streamEnded: () => undefined });
    expect(await stream.next()).toEqual({ done: false, value: 'data: "last"\n\ndata: [DONE]\n\n' });
    expect(stream.interrupt(unavailable, shutDown)).toBeUndefined();
  });
});
