import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import { decodeChatResponse, decodeChatStream } from './index.js';

/*
 * A chunk's `choices` entries and their `delta` are objects on OpenAI's wire. One of another type is no
 * answer to pass over (the stream would end as if the model said nothing, and be billed): it is refused
 * as a malformed chunk naming the field, never quoting the value. What the wire allows stays: the usage
 * chunk's `choices: []`, and a last chunk with only a finish reason (delta absent or null).
 */

const data = (obj: unknown): SseEvent => ({ event: undefined, data: JSON.stringify(obj) });

async function streamed(...chunks: unknown[]): Promise<StreamPart[]> {
  const events = [...chunks.map(data), { event: undefined, data: '[DONE]' }];
  const out: StreamPart[] = [];
  for await (const p of decodeChatStream((async function* () { yield* events; })(), 'test')) out.push(p);
  return out;
}

const refusedAs = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream test sent a malformed stream chunk: ${what}.` });
const text = (content: string) => ({ id: 'c', choices: [{ index: 0, delta: { content } }] });
/** A value an error must not quote. */
const SECRET = 'the upstream said this';

describe('openai-chat stream chunks whose choices or delta have the wrong JSON type', () => {
  it('refuses a choice that is not an object, first or not, naming the field and never the value', async () => {
    for (const choices of [[null], [SECRET], [5], [[{ delta: { content: SECRET } }]], [{ index: 0, delta: { content: 'hi' } }, SECRET]]) {
      const error: unknown = await streamed({ id: 'c', choices }).catch((e: unknown) => e);
      expect(error, JSON.stringify(choices)).toEqual(refusedAs('a choice that is not an object'));
      expect((error as Error).message).not.toContain(SECRET);
    }
  });

  it('refuses choices that are not a list', async () => {
    for (const choices of [{ index: 0, delta: { content: SECRET } }, SECRET, 1]) {
      await expect(streamed({ id: 'c', choices }), JSON.stringify(choices)).rejects.toEqual(refusedAs('choices that are not a list'));
    }
  });

  it("refuses a delta that is not an object, also after the text chunks' shape was learned", async () => {
    for (const delta of [SECRET, 5, true, [{ content: SECRET }]]) {
      const bad = { id: 'c', choices: [{ index: 0, delta }] };
      await expect(streamed(bad), JSON.stringify(delta)).rejects.toEqual(refusedAs('a delta that is not an object'));
      await expect(streamed(text('a'), text('b'), text('c'), bad), JSON.stringify(delta)).rejects.toEqual(refusedAs('a delta that is not an object'));
    }
  });

  it('takes the usage chunk with no choice, and a last chunk whose delta is absent or null', async () => {
    const usage = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 };
    for (const last of [{ index: 0, finish_reason: 'stop' }, { index: 0, delta: null, finish_reason: 'stop' }]) {
      const parts = await streamed(text('hi'), { id: 'c', choices: [last] }, { id: 'c', choices: [], usage });
      expect(parts.map((p) => p.type), JSON.stringify(last)).toEqual(['start', 'text', 'finish', 'usage']);
    }
    expect((await streamed({ id: 'c', choices: null, usage }, text('hi'))).map((p) => p.type)).toEqual(['start', 'usage', 'text']);
  });

  it('refuses a whole answer whose choice is not an object, as malformed rather than as a reply it could not read', () => {
    for (const choice of [null, SECRET, 5]) {
      expect(() => decodeChatResponse({ choices: [choice] }, 'test'), JSON.stringify(choice)).toThrowError(
        expect.objectContaining({ kind: 'bad_upstream_response', message: 'Upstream test returned a malformed response: a choice that is not an object.' }),
      );
    }
  });
});
