import { describe, expect, it } from 'vitest';
import { makeUsage, type ChatResponse, type StreamPart } from '../core/types.js';
import { holdEnd } from '../core/ready.js';
import { GatewayError } from '../core/errors.js';
import { SseStream, type StreamEncoder } from '../http/sse.js';
import { answerParts, recording, replay } from './replay.js';

const full: ChatResponse = {
  id: 'resp-1',
  model: 'claude',
  created: 0,
  content: [
    { type: 'reasoning', text: 'Let me think.', signature: 'sig-1', provider: 'anthropic' },
    { type: 'redacted-reasoning', data: 'sealed', provider: 'anthropic' },
    { type: 'text', text: 'Calling two tools.' },
    { type: 'tool-call', id: 'c1', name: 'lookup', arguments: '{"q":"a"}' },
    { type: 'tool-call', id: 'c2', name: 'fetch', arguments: '{}' },
  ],
  finishReason: 'tool_calls',
  usage: makeUsage({ prompt: 12, completion: 7, reasoning: 3 }),
  warnings: [{ type: 'unsupported-setting', setting: 'topK', message: 'topK is not supported' }],
  providerMetadata: { anthropic: { container: 'c-1' } },
  servedAs: { systemFingerprint: 'fp_1', serviceTier: 'default' },
};

async function recorded(parts: readonly StreamPart[]): Promise<ChatResponse | undefined> {
  let stored: ChatResponse | undefined;
  for await (const p of recording(replay(parts), (r) => (stored = r))) void p;
  return stored;
}

describe('replaying a cached answer as a stream', () => {
  it('sends its parts in order, as an upstream would: start (with warnings and what served it), content, provider metadata, finish, usage', () => {
    expect(answerParts(full)).toEqual([
      { type: 'start', id: 'resp-1', model: 'claude', warnings: full.warnings, servedAs: full.servedAs },
      { type: 'reasoning', delta: 'Let me think.', signature: 'sig-1', provider: 'anthropic' },
      { type: 'redacted-reasoning', data: 'sealed', provider: 'anthropic' },
      { type: 'text', delta: 'Calling two tools.' },
      { type: 'tool-call', index: 0, id: 'c1', name: 'lookup', argumentsDelta: '{"q":"a"}' },
      { type: 'tool-call', index: 1, id: 'c2', name: 'fetch', argumentsDelta: '{}' },
      { type: 'provider-metadata', namespace: 'anthropic', data: { container: 'c-1' } },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: full.usage },
    ]);
  });

  it('records back the very answer it replays, its system fingerprint and service tier included', async () => {
    expect(await recorded(answerParts(full))).toEqual({ ...full, created: expect.any(Number) });
  });

  it('replays a refusal as the refusal part a live stream sends, before the finish, and records it back', async () => {
    const declined: ChatResponse = { id: 'resp-2', model: 'gpt', created: 0, content: [], refusal: "I can't help with that.", finishReason: 'stop', usage: makeUsage({ prompt: 5, completion: 6 }) };
    const parts = answerParts(declined);
    expect(parts.slice(1, 3)).toEqual([
      { type: 'refusal', delta: "I can't help with that." },
      { type: 'finish', finishReason: 'stop' },
    ]);
    expect(await recorded(parts)).toEqual({ ...declined, created: expect.any(Number) });
  });
});

describe('recording a live stream', () => {
  it('joins deltas into parts, keeps the last reasoning signature, joins refusal deltas, and keeps an estimate and raw usage', async () => {
    const usage = makeUsage({ prompt: 3, completion: 2 });
    const answer = await recorded([
      { type: 'start', id: 'x', model: 'm' },
      { type: 'reasoning', delta: 'a' },
      { type: 'reasoning', delta: 'b', signature: 'sig', provider: 'bedrock' },
      { type: 'text', delta: 'Hel' },
      { type: 'text', delta: 'lo' },
      { type: 'tool-call', index: 0, id: 'c1', name: 'f', argumentsDelta: '{"a"' },
      { type: 'tool-call', index: 0, argumentsDelta: ':1}' },
      { type: 'refusal', delta: 'n' },
      { type: 'refusal', delta: 'o' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage, estimated: true, raw: { input_tokens: 3 } },
    ]);
    expect(answer).toMatchObject({
      id: 'x',
      model: 'm',
      content: [
        { type: 'reasoning', text: 'ab', signature: 'sig', provider: 'bedrock' },
        { type: 'text', text: 'Hello' },
        { type: 'tool-call', id: 'c1', name: 'f', arguments: '{"a":1}' },
      ],
      refusal: 'no',
      usage,
      usageEstimated: true,
      rawUsage: { input_tokens: 3 },
    });
  });

  it('keeps each signed reasoning block a part of its own, as the live stream and the whole answer have them, and replays them so', async () => {
    // Claude's two thinking blocks as its stream decoder gives them: text, then the block's signature.
    const live: StreamPart[] = [
      { type: 'start', id: 'msg_1', model: 'claude' },
      { type: 'reasoning', delta: 'First ', provider: 'anthropic' },
      { type: 'reasoning', delta: 'thought.', provider: 'anthropic' },
      { type: 'reasoning', delta: '', signature: 'SIG-A', provider: 'anthropic' },
      { type: 'reasoning', delta: 'Second thought.', provider: 'anthropic' },
      { type: 'reasoning', delta: '', signature: 'SIG-B', provider: 'anthropic' },
      // Gemini's: a signed thought, then another.
      { type: 'reasoning', delta: 'Third.', signature: 'SIG-C', provider: 'google' },
      { type: 'reasoning', delta: 'Fourth.', signature: 'SIG-D', provider: 'google' },
      { type: 'text', delta: 'Answer.' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: makeUsage({ prompt: 10, completion: 5 }) },
    ];
    const answer = await recorded(live);
    expect(answer?.content).toEqual([
      { type: 'reasoning', text: 'First thought.', signature: 'SIG-A', provider: 'anthropic' },
      { type: 'reasoning', text: 'Second thought.', signature: 'SIG-B', provider: 'anthropic' },
      { type: 'reasoning', text: 'Third.', signature: 'SIG-C', provider: 'google' },
      { type: 'reasoning', text: 'Fourth.', signature: 'SIG-D', provider: 'google' },
      { type: 'text', text: 'Answer.' },
    ]);
    // Its replay is one reasoning part a block, each signed as the live one was, and records back the same.
    const replayed = answerParts(answer as ChatResponse);
    const signatures = (parts: readonly StreamPart[]): Array<string | undefined> => parts.flatMap((p) => (p.type === 'reasoning' && p.signature !== undefined ? [p.signature] : []));
    expect(signatures(replayed)).toEqual(signatures(live));
    expect(replayed.filter((p) => p.type === 'reasoning')).toHaveLength(4);
    expect((await recorded(replayed))?.content).toEqual(answer?.content);
  });

  it("leaves out the gateway's own delivery markers (a resume), and stores nothing without a finish and usage", async () => {
    const answer = await recorded([
      { type: 'text', delta: 'a' },
      { type: 'provider-metadata', namespace: 'switchyard', data: { resumed: { from: 'a', to: 'b' } } },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: makeUsage({}) },
    ]);
    expect(answer?.providerMetadata).toBeUndefined();
    expect(await recorded([{ type: 'text', delta: 'a' }, { type: 'finish', finishReason: 'stop' }])).toBeUndefined();
  });

  it("passes a consumer's failure on a part to the stream it relays (which settles it), its answer thrown back, and stores nothing", async () => {
    const bug = new TypeError('unencodable');
    const settled = new Error('settled');
    const thrown: unknown[] = [];
    const live: AsyncIterableIterator<StreamPart> = {
      next: async () => ({ done: false, value: { type: 'text', delta: 'a' } }),
      throw: async (err?: unknown) => {
        thrown.push(err);
        return Promise.reject(settled);
      },
      [Symbol.asyncIterator]: () => live,
    };
    let stored = false;
    const relayed = recording(live, () => (stored = true));
    await relayed.next();
    await expect(relayed.throw?.(bug)).rejects.toBe(settled);
    expect([thrown, stored]).toEqual([[bug], false]);
  });

  it('stores the answer of a consumer that confirms the end (holdEnd) only once it took it, not when it failed on it', async () => {
    const usage = makeUsage({ prompt: 3, completion: 2 });
    const answer: StreamPart[] = [{ type: 'text', delta: 'a' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }];
    const stored: string[] = [];
    const read = async (name: string): Promise<AsyncIterator<StreamPart>> => {
      const relayed = recording(replay(answer), () => void stored.push(name));
      holdEnd(relayed);
      for (let r = await relayed.next(); !r.done; r = await relayed.next());
      return relayed;
    };
    const taken = await read('taken');
    const failed = await read('failed');
    expect(stored).toEqual([]);
    await taken.return?.();
    await failed.throw?.(new TypeError('closing frames broke')).catch(() => undefined);
    expect(stored).toEqual(['taken']);
  });

  it('lets the relay settle the attempt before it stores the answer, so a store that throws loses no usage', async () => {
    const usage = makeUsage({ prompt: 3, completion: 2 });
    const source = replay([{ type: 'text', delta: 'a' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage }]);
    let settled = false;
    const relayed = recording({ [Symbol.asyncIterator]: () => ({ next: () => source.next(), return: async () => ((settled = true), { done: true, value: undefined }) }) }, () => {
      throw new Error('the store broke');
    });
    holdEnd(relayed);
    for (let r = await relayed.next(); !r.done; r = await relayed.next());
    expect(() => relayed.return?.()).toThrow('the store broke');
    expect(settled).toBe(true);
  });
});

describe('a cached answer replayed as a stream, cut by a drain at its deadline', () => {
  const unavailable = new GatewayError({ kind: 'unavailable', message: 'The server is shutting down; retry the request.' });
  const shutDown = new GatewayError({ kind: 'cancelled', message: 'The server shut down before the answer was done.' });
  const encoder: StreamEncoder<StreamPart> = { part: (p) => p.type, end: () => ['[DONE]'], error: (err) => `error: ${(err as GatewayError).message}` };

  /** Reads `reads` frames of a replayed answer, then the drain ends the stream: the frames it ends with, and how the listener was told it ended. */
  async function cut(reads: number): Promise<{ read: string[]; last: string | undefined; ended: Array<string | undefined> }> {
    const ended: Array<string | undefined> = [];
    const stream = new SseStream(replay(answerParts(full)), encoder, { streamEnded: (kind) => void ended.push(kind) });
    const read: string[] = [];
    for (let i = 0; i < reads; i++) read.push(((await stream.next()) as IteratorYieldResult<string>).value);
    const last = await stream.interrupt(unavailable, shutDown);
    await stream.return();
    return { read, last, ended };
  }

  it('hands out every part it holds in one read, as one upstream read would', async () => {
    const { read } = await cut(1);
    expect(read).toEqual([answerParts(full).map((p) => `data: ${p.type}\n\n`).join('')]);
  });

  it('ends with the closing frames, not an error event, once its last part (the usage) went out: the answer was whole', async () => {
    const { last, ended } = await cut(1);
    expect(last).toBe('data: [DONE]\n\n');
    expect(ended).toEqual([undefined]);
  });

  it('ends with the error event when cut before it began', async () => {
    const { last, ended } = await cut(0);
    expect(last).toBe('data: error: The server is shutting down; retry the request.\n\n');
    expect(ended).toEqual(['unavailable']);
  });

  it('fails a consumer that stopped on a part for another reason, even after the last part', async () => {
    const parts = replay(answerParts(full));
    for (let r = await parts.next(); !r.done; r = await parts.next());
    const broken = new GatewayError({ kind: 'internal', message: 'could not encode' });
    await expect(parts.throw?.(broken)).rejects.toBe(broken);
  });
});
