import { describe, expect, it } from 'vitest';
import { makeUsage, type StreamPart } from '../../../core/types.js';
import { openUntilContent, relay, type StreamSettlement } from '../../../gateway/stream.js';
import type { SseEvent } from '../../sse.js';
import { decodeMessagesStream } from './index.js';

/*
 * A Messages stream's usage is message_start's input counts merged with message_delta's cumulative
 * ones. Without a real input and output count the decoder sends no usage part, and the relay bills its
 * own estimate marked as one, as a whole answer with bad usage is: never a prompt (or an answer) of 0.
 */

/** What the gateway would estimate the prompt at. */
const PROMPT_ESTIMATE = 37;

function sse(...events: Array<Record<string, unknown>>): AsyncIterable<SseEvent> {
  return (async function* () {
    for (const e of events) yield { event: String(e.type), data: JSON.stringify(e) };
  })();
}

const started = (usage: Record<string, unknown> | undefined) => ({ type: 'message_start', message: { id: 'msg_1', model: 'claude-x', content: [], ...(usage === undefined ? {} : { usage }) } });
const TEXT = [
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'twelve chars' } },
  { type: 'content_block_stop', index: 0 },
];
const finished = (usage: Record<string, unknown>) => [{ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage }, { type: 'message_stop' }];

/** The stream decoded and relayed as the gateway relays it: the parts the client gets and what the attempt is billed. */
async function relayed(...events: Array<Record<string, unknown>>): Promise<{ parts: StreamPart[]; settled: StreamSettlement }> {
  const settled: StreamSettlement[] = [];
  const opened = await openUntilContent(decodeMessagesStream(sse(...events), 'anthropic'), 0, () => 0, 'anthropic');
  const parts: StreamPart[] = [];
  for await (const p of relay(opened, PROMPT_ESTIMATE, () => undefined, (s) => settled.push(s))) parts.push(p);
  expect(settled).toHaveLength(1);
  return { parts, settled: settled[0] as StreamSettlement };
}

/** The usage of `twelve chars` as the relay counts it: its prompt estimate and a token per four characters. */
const ESTIMATED = makeUsage({ prompt: PROMPT_ESTIMATE, completion: 3 });

describe('Anthropic stream usage the upstream did not count', () => {
  it('estimates a stream whose message_start input_tokens is not a count, rather than billing its prompt as 0', async () => {
    for (const input_tokens of [-5, 2.5, '20', 1e300, { n: 20 }]) {
      const { parts, settled } = await relayed(started({ input_tokens, output_tokens: 1 }), ...TEXT, ...finished({ output_tokens: 9 }));
      expect(parts.filter((p) => p.type === 'usage'), JSON.stringify(input_tokens)).toEqual([{ type: 'usage', usage: ESTIMATED, estimated: true }]);
      expect(settled).toMatchObject({ outcome: 'ok', usageEstimated: true, usage: ESTIMATED });
    }
  });

  it('estimates a stream whose message_delta counts only the output and nothing counted the input', async () => {
    for (const usage of [undefined, {}, { output_tokens: 1 }, { cache_read_input_tokens: 300, output_tokens: 1 }]) {
      const { parts, settled } = await relayed(started(usage), ...TEXT, ...finished({ output_tokens: 9 }));
      expect(parts.filter((p) => p.type === 'usage'), JSON.stringify(usage)).toEqual([{ type: 'usage', usage: ESTIMATED, estimated: true }]);
      expect(settled).toMatchObject({ outcome: 'ok', usageEstimated: true, usage: ESTIMATED });
    }
  });

  it("estimates the answer of a message_delta whose output_tokens is not a count, keeping message_start's exact prompt", async () => {
    const { parts, settled } = await relayed(started({ input_tokens: 20, output_tokens: 1 }), ...TEXT, ...finished({ output_tokens: -9 }));
    const usage = makeUsage({ prompt: 20, completion: 3 });
    expect(parts.filter((p) => p.type === 'usage')).toEqual([{ type: 'usage', usage, estimated: true }]);
    expect(settled).toMatchObject({ usageEstimated: true, usage });
  });

  it("bills message_delta's input count when message_start's was not one: the later cumulative count is the upstream's word", async () => {
    const { parts, settled } = await relayed(started({ input_tokens: -1, output_tokens: 1 }), ...TEXT, ...finished({ input_tokens: 20, output_tokens: 9 }));
    const usage = makeUsage({ prompt: 20, completion: 9 });
    expect(parts.filter((p) => p.type === 'usage')).toMatchObject([{ type: 'usage', usage }]);
    expect(parts.find((p) => p.type === 'usage')).not.toHaveProperty('estimated');
    expect(settled).toMatchObject({ usageEstimated: false, usage });
  });

  it('bills the counts of a well-counted stream as the upstream gave them', async () => {
    const { settled } = await relayed(started({ input_tokens: 20, cache_read_input_tokens: 300, output_tokens: 1 }), ...TEXT, ...finished({ output_tokens: 9 }));
    expect(settled).toMatchObject({ usageEstimated: false, usage: makeUsage({ prompt: 320, cachedRead: 300, completion: 9 }) });
  });
});
