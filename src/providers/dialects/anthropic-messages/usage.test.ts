import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import { decodeMessagesResponse, decodeMessagesStream, readTokenCounts } from './index.js';

/** A Messages usage object as the API sends it for a request whose cache_control asked for `ttl: "1h"`. */
const oneHourWrite = {
  input_tokens: 10,
  cache_creation_input_tokens: 100_000,
  cache_read_input_tokens: 0,
  cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100_000 },
  output_tokens: 10,
};

function sse(...events: Array<Record<string, unknown>>): AsyncIterable<SseEvent> {
  return (async function* () {
    for (const e of events) yield { event: String(e.type), data: JSON.stringify(e) };
  })();
}

async function collect(events: AsyncIterable<SseEvent>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const p of decodeMessagesStream(events, 'anthropic')) parts.push(p);
  return parts;
}

const message = (usage: Record<string, unknown>) => ({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null, usage });

describe('Anthropic usage: cache writes by TTL', () => {
  it('keeps the one-hour part of a whole message’s cache writes (cache_creation.ephemeral_1h_input_tokens)', () => {
    const r = decodeMessagesResponse(message(oneHourWrite), 'anthropic');
    expect(r.usage).toEqual({ prompt: 100_010, completion: 10, cachedRead: 0, cachedWrite: 100_000, cachedWrite1h: 100_000, reasoning: 0, total: 100_020 });
  });

  it('splits writes of both TTLs, and leaves the part out when the upstream gave no breakdown', () => {
    const mixed = { ...oneHourWrite, cache_creation: { ephemeral_5m_input_tokens: 40_000, ephemeral_1h_input_tokens: 60_000 } };
    expect(decodeMessagesResponse(message(mixed), 'anthropic').usage).toMatchObject({ cachedWrite: 100_000, cachedWrite1h: 60_000 });
    const { cache_creation: _byTtl, ...flat } = oneHourWrite;
    expect(decodeMessagesResponse(message(flat), 'anthropic').usage).not.toHaveProperty('cachedWrite1h');
  });

  it('believes no more one-hour writes than writes, and ignores a breakdown whose count is not one', () => {
    expect(decodeMessagesResponse(message({ ...oneHourWrite, cache_creation_input_tokens: 500 }), 'anthropic').usage).toMatchObject({ cachedWrite: 500, cachedWrite1h: 500 });
    expect(readTokenCounts({ ...oneHourWrite, cache_creation: { ephemeral_1h_input_tokens: -1 } })).not.toHaveProperty('cacheWrite1h');
    expect(readTokenCounts({ ...oneHourWrite, cache_creation: null })).not.toHaveProperty('cacheWrite1h');
  });

  it('streams the breakdown from message_start through message_delta’s cumulative counts into the usage part', async () => {
    const { cache_creation: _byTtl, ...cumulative } = oneHourWrite;
    const parts = await collect(
      sse(
        { type: 'message_start', message: { ...message({ ...oneHourWrite, output_tokens: 1 }), content: [], stop_reason: null } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } },
        { type: 'content_block_stop', index: 0 },
        // The API's message_delta repeats the totals but not cache_creation.
        { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: cumulative },
        { type: 'message_stop' },
      ),
    );
    expect(parts[0]).toEqual({ type: 'start', id: 'msg_1', model: 'claude-x', prompt: { prompt: 100_010, cachedRead: 0, cachedWrite: 100_000, cachedWrite1h: 100_000 } });
    expect(parts.at(-1)).toEqual({
      type: 'usage',
      usage: { prompt: 100_010, completion: 10, cachedRead: 0, cachedWrite: 100_000, cachedWrite1h: 100_000, reasoning: 0, total: 100_020 },
      raw: oneHourWrite,
    });
  });

  it('takes a breakdown message_delta does carry as the latest', async () => {
    const parts = await collect(
      sse(
        { type: 'message_start', message: { ...message({ input_tokens: 10, output_tokens: 1 }), content: [], stop_reason: null } },
        { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: oneHourWrite },
        { type: 'message_stop' },
      ),
    );
    expect(parts.at(-1)).toMatchObject({ type: 'usage', usage: { cachedWrite: 100_000, cachedWrite1h: 100_000 } });
  });
});
