import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { makeUsage, type PromptCount, type StreamPart } from '../core/types.js';
import { openUntilContent, relay, type StreamSettlement } from './stream.js';

async function* parts(list: StreamPart[], fail?: Error): AsyncGenerator<StreamPart> {
  yield* list;
  if (fail) throw fail;
}

const cut = new GatewayError({ kind: 'network', message: 'The upstream reset the connection.', upstreamStatus: 200 });
/** What the gateway guesses the prompt costs, far from what the upstream counted. */
const ESTIMATE = 15_010;

/** Relays `list` then `fail`, reading `read` parts before it leaves (`return()`), or all of them; what it settled and threw. */
async function settleOf(list: StreamPart[], fail?: Error, read = Infinity): Promise<{ settled: StreamSettlement; thrown: unknown }> {
  const settle = vi.fn<(s: StreamSettlement) => void>();
  const it = relay(await openUntilContent(parts(list, fail), 0, () => 5, 'test'), ESTIMATE, () => undefined, settle);
  let thrown: unknown;
  try {
    for (let n = 0; n < read; n++) if ((await it.next()).done) break;
    await it.return?.();
  } catch (err) {
    thrown = err;
  }
  expect(settle).toHaveBeenCalledTimes(1);
  return { settled: settle.mock.calls[0]?.[0] as StreamSettlement, thrown };
}

/**
 * A stream that breaks or is left has no final usage, but the upstream may have counted its prompt
 * already (Anthropic's message_start, Gemini's counts on each chunk): it bills those, cached tokens at
 * their own price, so the attempt is billed them, not the gateway's guess at full input price.
 */
describe('what a stream without its final usage is billed', () => {
  // Anthropic's message_start for a prompt mostly read from the cache: 12 new, 15,000 read, 40 written (10 for an hour).
  const prompt: PromptCount = { prompt: 15_052, cachedRead: 15_000, cachedWrite: 40, cachedWrite1h: 10 };
  const started: StreamPart[] = [{ type: 'start', id: 'msg_1', prompt }, { type: 'text', delta: 'abcdefgh' }, { type: 'text', delta: 'ijkl' }];
  const reported = makeUsage({ ...prompt, completion: 3 });

  it("bills a stream cut midway the prompt the upstream counted as it started, cached reads and writes included, and the text's count, marked estimated", async () => {
    const { settled, thrown } = await settleOf(started, cut);
    expect(settled).toMatchObject({ outcome: 'error', usage: reported, usageEstimated: true });
    // What the client's error (and cost trailer) says was billed is that same usage.
    expect(thrown).toMatchObject({ kind: 'network', spent: { usage: reported, estimated: true } });
  });

  it('bills a stream the client left the same way, also one it left before reading anything', async () => {
    expect((await settleOf(started, undefined, 2)).settled).toMatchObject({ outcome: 'cancelled', usage: makeUsage({ ...prompt, completion: 2 }), usageEstimated: true });
    // The text read while the stream opened was generated, so billed, though the client never got it.
    expect((await settleOf(started, undefined, 0)).settled).toMatchObject({ outcome: 'cancelled', usage: makeUsage({ ...prompt, completion: 2 }), usageEstimated: true });
  });

  it('bills the upstream its counts so far (Gemini): their prompt and cached reads, and their completion when it is larger than the text (thoughts it did not stream)', async () => {
    const early = makeUsage({ prompt: 1_200, cachedRead: 1_000, completion: 253, reasoning: 250 });
    const later = makeUsage({ prompt: 1_200, cachedRead: 1_000, completion: 254, reasoning: 250 });
    const { settled } = await settleOf([{ type: 'start' }, { type: 'text', delta: 'abcdefgh' }, { type: 'usage', usage: early }, { type: 'text', delta: 'ijkl' }, { type: 'usage', usage: later }], cut);
    expect(settled).toMatchObject({ outcome: 'error', usage: later, usageEstimated: true });
    // A completion below the text's count is the text's count.
    const few = makeUsage({ prompt: 1_200, completion: 1 });
    expect((await settleOf([{ type: 'text', delta: 'abcdefghijkl' }, { type: 'usage', usage: few }], cut)).settled.usage).toEqual(makeUsage({ prompt: 1_200, completion: 3 }));
  });

  it('takes counts that name no prompt (an early chunk of zeros) for nothing: the start count, else the estimate', async () => {
    const zeros: StreamPart = { type: 'usage', usage: makeUsage({}) };
    expect((await settleOf([...started, zeros], cut)).settled.usage).toEqual(reported);
    expect((await settleOf([{ type: 'text', delta: 'abcd' }, zeros], cut)).settled.usage).toEqual(makeUsage({ prompt: ESTIMATE, completion: 1 }));
  });

  it("ends a finished stream that sent no usage with the start's prompt count in its estimated usage", async () => {
    const { settled } = await settleOf([...started, { type: 'finish', finishReason: 'stop' }]);
    expect(settled).toMatchObject({ outcome: 'ok', usage: reported, usageEstimated: true });
  });

  it("bills the upstream's final usage as it is once it came, whatever the start said", async () => {
    const final = makeUsage({ prompt: 15_052, cachedRead: 15_000, completion: 9 });
    const { settled } = await settleOf([...started, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: final }], cut);
    expect(settled).toMatchObject({ outcome: 'error', usage: final, usageEstimated: false });
  });
});
