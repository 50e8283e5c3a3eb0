import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import { decodeChatResponse, decodeChatStream } from './index.js';

/*
 * Mistral's API documents `content` (and a stream's `delta.content`) as a string or a list of chunks:
 * magistral and mistral-small/medium with reasoning_effort answer with thinking chunks, citing answers
 * with reference chunks between text. Read where the upstream is Mistral's (`contentChunks`), and only
 * those chunks; anywhere else a list is still no text.
 */

const thinking = (...texts: string[]) => ({ type: 'thinking', thinking: texts.map((t) => ({ type: 'text', text: t })) });
const textChunk = (t: string) => ({ type: 'text', text: t });
const answer = (content: unknown) => ({ id: 'a', model: 'magistral-medium-2509', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 40, total_tokens: 49 } });
const delta = (content: unknown) => ({ id: 'a', model: 'magistral-medium-2509', choices: [{ index: 0, delta: { content } }] });

async function streamed(chunks: unknown[], contentChunks: boolean): Promise<StreamPart[]> {
  const events: SseEvent[] = [...chunks.map((c) => ({ event: undefined, data: JSON.stringify(c) })), { event: undefined, data: '[DONE]' }];
  const out: StreamPart[] = [];
  for await (const p of decodeChatStream((async function* () { yield* events; })(), 'mistral', undefined, contentChunks)) out.push(p);
  return out;
}

const refused = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream mistral returned a malformed response: ${what}.` });
const chunkRefused = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream mistral sent a malformed stream chunk: ${what}.` });

describe("Mistral's content chunks, whole", () => {
  it('reads thinking chunks as reasoning and text chunks as the answer, in order', () => {
    const r = decodeChatResponse(answer([thinking('Two sisters', ', so'), textChunk('John is '), textChunk('22.')]), 'mistral', undefined, true);
    expect(r.content).toEqual([
      { type: 'reasoning', text: 'Two sisters, so', provider: 'openai' },
      { type: 'text', text: 'John is 22.' },
    ]);
    expect(r.usage.total).toBe(49);
  });

  it('joins the text a citing answer splits with reference chunks (which carry no text)', () => {
    const r = decodeChatResponse(answer([textChunk('Nihon Hidankyo won'), { type: 'reference', reference_ids: [0] }, textChunk('.')]), 'mistral', undefined, true);
    expect(r.content).toEqual([{ type: 'text', text: 'Nihon Hidankyo won.' }]);
  });

  it('still takes a string, and refuses a list where the upstream is not Mistral', () => {
    expect(decodeChatResponse(answer('hi'), 'mistral', undefined, true).content).toEqual([{ type: 'text', text: 'hi' }]);
    expect(() => decodeChatResponse(answer([textChunk('hi')]), 'mistral')).toThrowError(refused('message content that is not text'));
  });

  it('refuses chunks Mistral does not answer with, or with fields of the wrong type, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [[{ type: 'image_url', image_url: 'https://x' }], 'a content chunk that is neither text nor thinking'],
      [['hi'], 'a content chunk that is neither text nor thinking'],
      [[{ text: 'hi' }], 'a content chunk that is neither text nor thinking'],
      [[{ type: 'thinking', thinking: [thinking('nested')] }], 'a content chunk that is neither text nor thinking'],
      [[{ type: 'text', text: 5 }], 'a text chunk whose text is not a string'],
      [[{ type: 'thinking', thinking: [{ type: 'text', text: ['x'] }] }], 'a text chunk whose text is not a string'],
      [[{ type: 'thinking', thinking: 'x' }], 'a thinking chunk whose thinking is not a list'],
      [5, 'message content that is not text'],
      [{ type: 'text', text: 'hi' }, 'message content that is not text'],
    ];
    for (const [content, what] of cases) expect(() => decodeChatResponse(answer(content), 'mistral', undefined, true), JSON.stringify(content)).toThrowError(refused(what));
  });
});

describe("Mistral's content chunks, streamed", () => {
  it('streams thinking chunks as reasoning, then the answer as list or string deltas, also once their shapes are learned', async () => {
    const parts = await streamed(
      [delta([thinking('a')]), delta([thinking('b')]), delta([thinking('c')]), delta([thinking('d')]), delta([textChunk('Jo')]), delta('hn'), delta(' is'), delta(' 22.'), { id: 'a', choices: [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }] }],
      true,
    );
    const reasoning = parts.filter((p) => p.type === 'reasoning');
    expect(reasoning.map((p) => p.delta).join('')).toBe('abcd');
    expect(reasoning.every((p) => p.provider === 'openai')).toBe(true);
    expect(parts.filter((p) => p.type === 'text').map((p) => p.delta).join('')).toBe('John is 22.');
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('refuses a list delta where the upstream is not Mistral, and a chunk Mistral does not send even after the shapes were learned', async () => {
    await expect(streamed([delta([thinking('a')])], false)).rejects.toEqual(chunkRefused('delta content that is not text'));
    await expect(streamed([delta([thinking('a')]), delta([thinking('b')]), delta([thinking('c')]), delta([{ type: 'image_url', image_url: 'x' }])], true)).rejects.toEqual(
      chunkRefused('a content chunk that is neither text nor thinking'),
    );
    await expect(streamed([delta([thinking('a')]), delta([thinking('b')]), delta([{ type: 'thinking', thinking: [{ type: 'text', text: 7 }] }])], true)).rejects.toEqual(
      chunkRefused('a text chunk whose text is not a string'),
    );
    await expect(streamed([delta({ type: 'text', text: 'hi' })], true)).rejects.toEqual(chunkRefused('delta content that is not text'));
  });
});
