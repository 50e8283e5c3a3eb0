import { describe, expect, it } from 'vitest';
import { makeUsage, type StreamPart } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import { decodeGenerateContentStream } from './decode-stream.js';

async function collect(chunks: unknown[]): Promise<StreamPart[]> {
  async function* events(): AsyncGenerator<SseEvent> {
    for (const c of chunks) yield { event: undefined, data: JSON.stringify(c) };
  }
  const out: StreamPart[] = [];
  for await (const p of decodeGenerateContentStream(events(), 'vertex')) out.push(p);
  return out;
}

const chunk = (text: string, usageMetadata?: Record<string, unknown>, finishReason?: string): Record<string, unknown> => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(finishReason === undefined ? {} : { finishReason }) }],
  ...(usageMetadata === undefined ? {} : { usageMetadata }),
});

/**
 * Gemini may count on every chunk (the Gemini API's prompt count on each; running totals; on Vertex an
 * early chunk of zeros, or only `trafficType`): the counts before the finish go out as they change, so a
 * stream cut before its last chunk is billed what the upstream had counted (`gateway/stream.ts`).
 */
describe('gemini stream: the counts before the finish', () => {
  it('sends the counts a chunk carries before the finish as a usage part, before the content they cover, each time they change', async () => {
    const first = { promptTokenCount: 1_200, cachedContentTokenCount: 1_000, candidatesTokenCount: 1, thoughtsTokenCount: 250, totalTokenCount: 1_451 };
    const second = { ...first, candidatesTokenCount: 3, totalTokenCount: 1_453 };
    const last = { ...first, candidatesTokenCount: 4, totalTokenCount: 1_454 };
    const parts = await collect([chunk('Hel', first), chunk('lo', first), chunk(' the', second), chunk('re', last, 'STOP')]);
    expect(parts.map((p) => p.type)).toEqual(['start', 'usage', 'text', 'text', 'usage', 'text', 'text', 'provider-metadata', 'finish', 'usage']);
    const usages = parts.filter((p) => p.type === 'usage').map((p) => p.usage);
    expect(usages).toEqual([
      makeUsage({ prompt: 1_200, cachedRead: 1_000, completion: 251, reasoning: 250 }),
      makeUsage({ prompt: 1_200, cachedRead: 1_000, completion: 253, reasoning: 250 }),
      makeUsage({ prompt: 1_200, cachedRead: 1_000, completion: 254, reasoning: 250 }),
    ]);
    // The final usage, after the finish, is the one that carries the raw counts.
    expect(parts.at(-1)).toMatchObject({ raw: last });
  });

  it('sends nothing for counts that name no prompt: an early chunk of zeros, or only the traffic type', async () => {
    const parts = await collect([chunk('Hi', { promptTokenCount: 0, totalTokenCount: 0 }), chunk('!', { trafficType: 'ON_DEMAND' }), chunk('', { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 }, 'STOP')]);
    expect(parts.map((p) => p.type)).toEqual(['start', 'text', 'text', 'provider-metadata', 'finish', 'usage']);
  });

  it('sends the counts of a chunk with no candidate before the finish too', async () => {
    const parts = await collect([chunk('Hi'), { usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } }, chunk('', { promptTokenCount: 9, candidatesTokenCount: 1, totalTokenCount: 10 }, 'STOP')]);
    expect(parts.map((p) => p.type)).toEqual(['start', 'text', 'usage', 'provider-metadata', 'finish', 'usage']);
    expect(parts[2]).toEqual({ type: 'usage', usage: makeUsage({ prompt: 9 }) });
  });
});
