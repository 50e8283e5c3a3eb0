import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../core/types.js';
import type { SseEvent } from '../sse.js';
import { decodeAzureStream } from './filters.js';

async function* events(...chunks: Array<unknown>): AsyncGenerator<SseEvent> {
  for (const c of chunks) yield { event: undefined, data: typeof c === 'string' ? c : JSON.stringify(c) };
}

async function collect(it: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const p of it) out.push(p);
  return out;
}

const promptResults = [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }];
const chunk = (delta: Record<string, unknown>, finish: string | null, filters: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  model: 'gpt-4o-2024-08-06',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finish, content_filter_results: filters }],
});

describe('decodeAzureStream', () => {
  it("consumes Azure's leading prompt-filter chunk and starts with the real completion id", async () => {
    const parts = await collect(
      decodeAzureStream(
        events({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptResults }, chunk({ role: 'assistant', content: '' }, null), chunk({ content: 'Hi' }, null, { hate: { filtered: false, severity: 'safe' } }), chunk({}, 'stop'), { id: 'chatcmpl-1', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }, '[DONE]'),
        'azure-openai',
      ),
    );
    expect(parts[0]).toEqual({ type: 'start', id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06' });
    expect(parts[1]).toEqual({ type: 'provider-metadata', namespace: 'azure', data: { prompt_filter_results: promptResults } });
    expect(parts.slice(2)).toEqual([
      { type: 'text', delta: 'Hi' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { prompt: 3, completion: 1, cachedRead: 0, cachedWrite: 0, reasoning: 0, total: 4 }, raw: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } },
    ]);
  });

  it('keeps flagged output filter results before finish_reason content_filter', async () => {
    const violence = { filtered: true, severity: 'medium' };
    const parts = await collect(
      decodeAzureStream(events(chunk({ content: 'Once' }, null), chunk({}, 'content_filter', { violence, hate: { filtered: false, severity: 'safe' } }), '[DONE]'), 'azure-openai'),
    );
    const types = parts.map((p) => p.type);
    expect(types).toEqual(['start', 'text', 'provider-metadata', 'finish']);
    expect(parts[2]).toEqual({ type: 'provider-metadata', namespace: 'azure', data: { content_filter_results: { violence } } });
    expect(parts[3]).toEqual({ type: 'finish', finishReason: 'content_filter' });
  });

  it('puts the encoding warnings on the start part', async () => {
    const warnings = [{ type: 'unsupported-setting' as const, setting: 'topK', message: 'dropped' }];
    const parts = await collect(decodeAzureStream(events(chunk({ content: 'Hi' }, 'stop'), '[DONE]'), 'azure-openai', warnings));
    expect(parts[0]).toEqual({ type: 'start', id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06', warnings });
  });

  it('still reports a stream cut before [DONE] as an error', async () => {
    await expect(collect(decodeAzureStream(events({ choices: [], prompt_filter_results: promptResults }, chunk({ content: 'Hi' }, null)), 'azure-openai'))).rejects.toMatchObject({ kind: 'network' });
  });

  it('lets the dialect report a malformed chunk that looks like a filter chunk', async () => {
    await expect(collect(decodeAzureStream(events('{"prompt_filter_results": ['), 'azure-openai'))).rejects.toMatchObject({ kind: 'bad_upstream_response' });
  });
});
