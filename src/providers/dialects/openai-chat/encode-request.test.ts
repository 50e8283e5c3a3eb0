import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../core/types.js';
import { encodeChatRequest, encodeEmbeddingRequest } from './encode-request.js';

/** A client body as the gateway hands it on: unknown keys are still on the object. */
const withExtras = (): ChatRequest =>
  ({ model: 'client-name', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3, stream: true, data_sources: [{ type: 'azure_search' }], store: true }) as unknown as ChatRequest;

describe('openai-chat request encoding', () => {
  it('builds the body from mapped fields only, never the client body spread', () => {
    expect(encodeChatRequest(withExtras(), 'gpt-4o', false)).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3, stream: false });
  });

  it('asks for stream usage itself when streaming', () => {
    const body = encodeChatRequest(withExtras(), 'gpt-4o', true);
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
  });

  it('asks a prefill server (vLLM) to continue a final assistant message, and only then', () => {
    const prefilled: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Hello' }] };
    expect(encodeChatRequest(prefilled, 'llama', true, [], true)).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    expect(encodeChatRequest(prefilled, 'gpt-4o', true)).not.toHaveProperty('continue_final_message');
    expect(encodeChatRequest(withExtras(), 'llama', true, [], true)).not.toHaveProperty('continue_final_message');
  });

  it('builds content parts field by field, so a cache_control mark never reaches the upstream', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'text', text: 'What is this?', cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
        { role: 'assistant', content: 'A picture.' },
      ],
    };
    const body = encodeChatRequest(request, 'gpt-4o', false);
    expect(JSON.stringify(body)).not.toContain('cache_control');
    expect(body.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
      { role: 'assistant', content: 'A picture.' },
    ]);
  });

  it('passes the messages array as it is when every content is a string', () => {
    const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    expect(encodeChatRequest(request, 'gpt-4o', false).messages).toBe(request.messages);
  });

  it('adds exactly the passthrough fields the deployment lists', () => {
    const body = encodeChatRequest(withExtras(), 'gpt-4o', false, ['data_sources']);
    expect(body.data_sources).toEqual([{ type: 'azure_search' }]);
    expect(body).not.toHaveProperty('store');
  });

  it('builds embeddings bodies from mapped fields plus listed passthrough fields', () => {
    const request = { model: 'e', input: ['a'], input_type: 'query', truncate: 'END' } as unknown as Parameters<typeof encodeEmbeddingRequest>[0];
    expect(encodeEmbeddingRequest(request, 'text-embedding-3-small', ['input_type'])).toEqual({ model: 'text-embedding-3-small', input: ['a'], encoding_format: 'float', input_type: 'query' });
  });
});
