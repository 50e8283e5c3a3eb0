import { describe, expect, it } from 'vitest';
import { decodeReply, GatewayError } from '../../../core/errors.js';
import type { StreamPart } from '../../../core/types.js';
import { decodeSse, type SseEvent } from '../../sse.js';
import { decodeGenerateContentResponse } from './decode-response.js';
import { decodeGenerateContentStream } from './decode-stream.js';
import { mapFinishReason } from './finish-reason.js';
import { decodeUsageMetadata } from './usage.js';
import { mapGoogleError } from './map-error.js';
import { decodePredictEmbeddingResponse, encodePredictEmbeddingRequest } from './embeddings.js';

const P = 'vertex';

async function collect(chunks: unknown[]): Promise<StreamPart[]> {
  async function* events(): AsyncGenerator<SseEvent> {
    for (const c of chunks) yield { event: undefined, data: typeof c === 'string' ? c : JSON.stringify(c) };
  }
  const out: StreamPart[] = [];
  for await (const p of decodeGenerateContentStream(events(), P)) out.push(p);
  return out;
}

async function failure(chunks: unknown[]): Promise<GatewayError> {
  const err = await collect(chunks).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!GatewayError.isInstance(err)) throw new Error(`expected a GatewayError, got ${String(err)}`);
  return err;
}

const text = (t: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ candidates: [{ content: { role: 'model', parts: [{ text: t }] }, ...extra }], responseId: 'r1', modelVersion: 'gemini-2.5-flash' });

describe('gemini finish reasons and usage', () => {
  it('maps finish reasons, with a function call making it tool_calls', () => {
    expect(mapFinishReason('STOP', false)).toBe('stop');
    expect(mapFinishReason('MAX_TOKENS', false)).toBe('length');
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'LANGUAGE', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']) expect(mapFinishReason(r, false)).toBe('content_filter');
    expect(mapFinishReason('STOP', true)).toBe('tool_calls');
    expect(mapFinishReason('SAFETY', true)).toBe('content_filter');
    expect(mapFinishReason('OTHER', false)).toBe('stop');
  });

  it('counts cached content inside prompt and thoughts inside completion', () => {
    expect(decodeUsageMetadata({ promptTokenCount: 100, cachedContentTokenCount: 60, candidatesTokenCount: 20, thoughtsTokenCount: 30, toolUsePromptTokenCount: 5, totalTokenCount: 155 })).toEqual({
      prompt: 105,
      completion: 50,
      cachedRead: 60,
      cachedWrite: 0,
      reasoning: 30,
      total: 155,
    });
    expect(decodeUsageMetadata(undefined)).toBeUndefined();
  });

  it('treats usage whose counts are not counts as unknown (the gateway estimates it)', () => {
    expect(decodeUsageMetadata({ promptTokenCount: 'a' } as never)).toBeUndefined();
    expect(decodeUsageMetadata({ promptTokenCount: 5, candidatesTokenCount: 1e300 })).toBeUndefined();
    expect(decodeUsageMetadata({ promptTokenCount: 5, thoughtsTokenCount: -1 })).toBeUndefined();
    expect(decodeUsageMetadata({ promptTokenCount: 5, cachedContentTokenCount: 60 })).toMatchObject({ prompt: 5, completion: 0, cachedRead: 5 });
  });
});

describe('gemini response decoding', () => {
  it('decodes text, usage with the raw usageMetadata, and keeps safety ratings and the raw finish reason under providerMetadata.vertex', () => {
    const r = decodeGenerateContentResponse(
      {
        ...text('Hello', { finishReason: 'STOP', safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' }] }),
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2, totalTokenCount: 6 },
        createTime: '2026-01-02T03:04:05Z',
      },
      P,
    );
    expect(r.content).toEqual([{ type: 'text', text: 'Hello' }]);
    expect(r.finishReason).toBe('stop');
    expect(r.usage.total).toBe(6);
    expect(r.rawUsage).toEqual({ promptTokenCount: 4, candidatesTokenCount: 2, totalTokenCount: 6 });
    expect(r.usageEstimated).toBeUndefined();
    expect(r.warnings).toBeUndefined();
    expect(r.id).toBe('r1');
    expect(r.created).toBe(Date.parse('2026-01-02T03:04:05Z') / 1000);
    expect(r.providerMetadata?.vertex?.finishReason).toBe('STOP');
    expect(r.providerMetadata?.vertex?.safetyRatings).toEqual([{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' }]);
  });

  it('joins consecutive text parts and carries the encoder\'s warnings', () => {
    const warnings = [{ type: 'unsupported-setting' as const, setting: 'parallelToolCalls', message: 'ignored' }];
    const r = decodeGenerateContentResponse({ candidates: [{ content: { parts: [{ text: 'Hel' }, { text: 'lo' }] }, finishReason: 'STOP' }] }, P, { warnings, now: () => 5_000 });
    expect(r.content).toEqual([{ type: 'text', text: 'Hello' }]);
    expect(r.warnings).toEqual(warnings);
    expect(r.created).toBe(5);
  });

  it('turns function calls into tool calls with stable synthesised ids, after the thoughts', () => {
    const wire = {
      candidates: [{ content: { role: 'model', parts: [{ text: 'thinking...', thought: true }, { functionCall: { name: 'lookup', args: { q: 'cats' } } }] }, finishReason: 'STOP' }],
      responseId: 'r9',
    };
    const a = decodeGenerateContentResponse(wire, P);
    const b = decodeGenerateContentResponse(wire, P);
    expect(a.finishReason).toBe('tool_calls');
    expect(a.content).toEqual([
      { type: 'reasoning', text: 'thinking...', provider: 'google' },
      { type: 'tool-call', id: expect.stringMatching(/^call_/) as unknown, name: 'lookup', arguments: '{"q":"cats"}' },
    ]);
    expect(a.content[1]).toEqual(b.content[1]);
    const withId = decodeGenerateContentResponse({ candidates: [{ content: { parts: [{ functionCall: { id: 'fc-1', name: 'f', args: {} } }] }, finishReason: 'STOP' }] }, P);
    expect(withId.content[0]).toMatchObject({ type: 'tool-call', id: 'fc-1' });
  });

  it('reports a SAFETY stop as content_filter with an empty answer', () => {
    const r = decodeGenerateContentResponse({ candidates: [{ finishReason: 'SAFETY', safetyRatings: [{ blocked: true }] }] }, P);
    expect(r.finishReason).toBe('content_filter');
    expect(r.content).toEqual([]);
  });

  it('raises content_filtered for a blocked prompt and upstream_error for a malformed function call', () => {
    const blocked = (() => {
      try {
        decodeGenerateContentResponse({ promptFeedback: { blockReason: 'SAFETY' } }, P);
      } catch (e) {
        return e as GatewayError;
      }
      return undefined;
    })();
    expect(blocked?.kind).toBe('content_filtered');
    expect(() => decodeGenerateContentResponse({ candidates: [{ finishReason: 'MALFORMED_FUNCTION_CALL' }] }, P)).toThrow(expect.objectContaining({ kind: 'upstream_error', code: 'malformed_function_call' }));
    // An invalid tool call leaves an empty answer: not a clean stop with nothing in it.
    expect(() => decodeGenerateContentResponse({ candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'UNEXPECTED_TOOL_CALL' }] }, P)).toThrow(
      expect.objectContaining({ kind: 'upstream_error', code: 'unexpected_tool_call' }),
    );
    expect(() => decodeGenerateContentResponse({}, P)).toThrow(expect.objectContaining({ kind: 'bad_upstream_response' }));
  });
});

describe('gemini thoughts', () => {
  const thought = (t: string): Record<string, unknown> => ({ text: t, thought: true });

  it('decodes thought parts as Google reasoning parts, not answer text, and counts thoughts as reasoning', () => {
    const r = decodeGenerateContentResponse(
      { candidates: [{ content: { role: 'model', parts: [thought('Pondering.'), { text: 'Answer.' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 2, thoughtsTokenCount: 3 } },
      P,
    );
    expect(r.content).toEqual([
      { type: 'reasoning', text: 'Pondering.', provider: 'google' },
      { type: 'text', text: 'Answer.' },
    ]);
    expect(r.usage).toMatchObject({ completion: 5, reasoning: 3 });
  });

  it('streams thought parts as reasoning parts', async () => {
    const parts = await collect([{ candidates: [{ content: { parts: [thought('Hmm ')] } }] }, { candidates: [{ content: { parts: [thought('ok.')] } }] }, text('Yes', { finishReason: 'STOP' })]);
    expect(parts.filter((p) => p.type === 'reasoning' || p.type === 'text')).toEqual([
      { type: 'reasoning', delta: 'Hmm ', provider: 'google' },
      { type: 'reasoning', delta: 'ok.', provider: 'google' },
      { type: 'text', delta: 'Yes' },
    ]);
  });

  it('serves an answer without usageMetadata with usage marked estimated', () => {
    const r = decodeGenerateContentResponse(text('hi', { finishReason: 'STOP' }), P);
    expect([r.usageEstimated, r.rawUsage]).toEqual([true, undefined]);
  });
});

describe('gemini stream decoding', () => {
  it('ends at the finish chunk carrying its usage, without waiting for a body the upstream holds open', async () => {
    const usageMetadata = { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 };
    async function* held(): AsyncGenerator<Uint8Array> {
      for (const c of [text('Hi'), { ...text('', { finishReason: 'STOP' }), usageMetadata }]) yield new TextEncoder().encode(`data: ${JSON.stringify(c)}\n\n`);
      await new Promise(() => undefined); // never ends
    }
    const parts: StreamPart[] = [];
    for await (const p of decodeGenerateContentStream(decodeSse(held()), P)) parts.push(p);
    expect(parts.map((p) => p.type)).toEqual(['start', 'text', 'provider-metadata', 'finish', 'usage']);
  });

  it('waits past a finish without usage for the usage that follows it, and ends there', async () => {
    const parts = await collect([text('Hi', { finishReason: 'STOP' }), { usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 } }, text('ignored')]);
    expect(parts.map((p) => p.type)).toEqual(['start', 'text', 'provider-metadata', 'finish', 'usage']);
  });

  it('yields start, text, provider metadata, finish, then the last usage with its raw numbers, with no [DONE]', async () => {
    const parts = await collect([text('Hel'), text('lo'), { ...text('!', { finishReason: 'STOP' }), usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, cachedContentTokenCount: 1, totalTokenCount: 5 } }]);
    expect(parts.map((p) => p.type)).toEqual(['start', 'text', 'text', 'text', 'provider-metadata', 'finish', 'usage']);
    expect(parts[0]).toEqual({ type: 'start', id: 'r1', model: 'gemini-2.5-flash' });
    expect(parts.filter((p) => p.type === 'text').map((p) => (p.type === 'text' ? p.delta : '')).join('')).toBe('Hello!');
    expect(parts.at(-2)).toEqual({ type: 'finish', finishReason: 'stop' });
    expect(parts.at(-1)).toEqual({
      type: 'usage',
      usage: { prompt: 3, completion: 2, cachedRead: 1, cachedWrite: 0, reasoning: 0, total: 5 },
      raw: { promptTokenCount: 3, candidatesTokenCount: 2, cachedContentTokenCount: 1, totalTokenCount: 5 },
    });
  });

  it('takes usage from a chunk that comes after the finishReason chunk', async () => {
    const parts = await collect([text('a', { finishReason: 'MAX_TOKENS' }), { usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, thoughtsTokenCount: 4 } }]);
    expect(parts.at(-2)).toEqual({ type: 'finish', finishReason: 'length' });
    expect(parts.at(-1)).toMatchObject({ type: 'usage', usage: { prompt: 1, completion: 5, cachedRead: 0, cachedWrite: 0, reasoning: 4, total: 6 } });
  });

  it('streams a function call as one tool-call part and finishes with tool_calls', async () => {
    const parts = await collect([{ candidates: [{ content: { parts: [{ functionCall: { name: 'lookup', args: { q: 'x' } } }] }, finishReason: 'STOP' }], responseId: 'r1' }]);
    const call = parts.find((p) => p.type === 'tool-call');
    expect(call).toEqual({ type: 'tool-call', index: 0, id: expect.stringMatching(/^call_/), name: 'lookup', argumentsDelta: '{"q":"x"}' });
    const plain = decodeGenerateContentResponse({ candidates: [{ content: { parts: [{ functionCall: { name: 'lookup', args: { q: 'x' } } }] }, finishReason: 'STOP' }], responseId: 'r1' }, P);
    expect(call?.type === 'tool-call' && call.id).toBe(plain.content[0]?.type === 'tool-call' && plain.content[0].id);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('treats a body that ends without a finishReason as a truncation', async () => {
    expect((await failure([text('Hel'), text('lo')])).kind).toBe('network');
  });

  it('raises in-stream errors, blocked prompts and malformed chunks', async () => {
    const inStream = await failure([text('a'), { error: { code: 429, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' } }]);
    expect(inStream.kind).toBe('rate_limited');
    expect((await failure([{ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }])).kind).toBe('content_filtered');
    expect((await failure(['{"candidates": ['])).kind).toBe('bad_upstream_response');
    expect((await failure([{ candidates: [{ finishReason: 'MALFORMED_FUNCTION_CALL' }] }])).kind).toBe('upstream_error');
    expect((await failure([{ candidates: [{ finishReason: 'UNEXPECTED_TOOL_CALL' }] }])).kind).toBe('upstream_error');
  });

  it('ends with content_filter on a SAFETY stop mid-answer', async () => {
    const parts = await collect([text('partial'), { candidates: [{ content: { parts: [{ text: '' }] }, finishReason: 'SAFETY', safetyRatings: [{ blocked: true }] }] }]);
    expect(parts.find((p) => p.type === 'provider-metadata')).toEqual({ type: 'provider-metadata', namespace: 'vertex', data: { finishReason: 'SAFETY', safetyRatings: [{ blocked: true }] } });
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'content_filter' });
  });
});

describe('replies of shapes the decoder cannot take', () => {
  it.each([
    ['parts that are not a list', { candidates: [{ content: { parts: 'yy' }, finishReason: 'STOP' }] }],
    ['a null part', { candidates: [{ content: { parts: [null] }, finishReason: 'STOP' }] }],
    ['a function call without a name', { candidates: [{ content: { parts: [{ functionCall: { name: 5, args: {} } }] }, finishReason: 'STOP' }] }],
  ])('are a bad upstream response: %s', (_name, body) => {
    expect(() => decodeReply(P, () => decodeGenerateContentResponse(body as never, P))).toThrow(expect.objectContaining({ kind: 'bad_upstream_response', provider: P }));
  });
});

describe('google error mapping', () => {
  const err = (code: number, status: string, message = 'm', details?: unknown[]): unknown => ({ error: { code, status, message, details } });

  it('maps statuses to the taxonomy', () => {
    expect(mapGoogleError(429, {}, err(429, 'RESOURCE_EXHAUSTED'), P).kind).toBe('rate_limited');
    expect(mapGoogleError(400, {}, err(400, 'INVALID_ARGUMENT', 'The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).'), P).kind).toBe('context_window_exceeded');
    expect(mapGoogleError(400, {}, err(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.'), P).kind).toBe('invalid_request');
    expect(mapGoogleError(413, {}, err(413, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit.'), P).kind).toBe('invalid_request');
    expect(mapGoogleError(401, {}, err(401, 'UNAUTHENTICATED'), P).kind).toBe('authentication');
    expect(mapGoogleError(403, {}, err(403, 'PERMISSION_DENIED'), P).kind).toBe('permission');
    const precondition = mapGoogleError(400, {}, err(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'), P);
    expect([precondition.kind, precondition.fallbackable]).toEqual(['permission', true]);
    const notFound = mapGoogleError(404, {}, err(404, 'NOT_FOUND'), P);
    expect([notFound.kind, notFound.fallbackable]).toEqual(['not_found', true]);
    expect(mapGoogleError(500, {}, err(500, 'INTERNAL'), P).kind).toBe('upstream_error');
    expect(mapGoogleError(503, {}, err(503, 'UNAVAILABLE'), P).kind).toBe('unavailable');
    expect(mapGoogleError(504, {}, err(504, 'DEADLINE_EXCEEDED'), P).kind).toBe('timeout');
    expect(mapGoogleError(502, {}, 'not json', P).kind).toBe('unavailable');
  });

  it("names the violated field as param and keeps the upstream's words, scrubbed, out of the message", () => {
    const bad = mapGoogleError(400, {}, err(400, 'INVALID_ARGUMENT', 'Bad token Bearer ya29.secret-token for field', [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'contents[0].parts', description: 'd' }] }]), P);
    expect(bad).toMatchObject({ param: 'contents[0].parts', message: `Upstream ${P} rejected the request as invalid (HTTP 400).`, upstreamText: 'INVALID_ARGUMENT: Bad token Bearer [redacted] for field' });
  });

  it('reads the wait from google.rpc.RetryInfo, or a retry-after header', () => {
    const info = mapGoogleError(429, {}, err(429, 'RESOURCE_EXHAUSTED', 'm', [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2.5s' }]), P);
    expect(info.retryAfterMs).toBe(2500);
    expect(mapGoogleError(429, { 'retry-after': '3' }, err(429, 'RESOURCE_EXHAUSTED'), P).retryAfterMs).toBe(3000);
  });

  it('maps a 429 whose details hold null, strings or a malformed delay as a rate limit without a wait, never a crash', () => {
    const retryInfo = (retryDelay: string): unknown => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay });
    for (const details of [[null], [null, retryInfo('')], ['x', 5, retryInfo('s')], [retryInfo('-3s')], [retryInfo('soon')]]) {
      expect(mapGoogleError(429, {}, err(429, 'RESOURCE_EXHAUSTED', 'm', details), P), JSON.stringify(details)).toMatchObject({ kind: 'rate_limited', retryAfterMs: undefined });
    }
    expect(mapGoogleError(429, {}, err(429, 'RESOURCE_EXHAUSTED', 'm', [null, retryInfo('4s')]), P).retryAfterMs).toBe(4000);
  });
});

describe('text-embedding :predict', () => {
  it('encodes instances with task type and dimensions and sums token counts', () => {
    expect(encodePredictEmbeddingRequest(['a', 'b'], { dimensions: 8, taskType: 'RETRIEVAL_DOCUMENT' })).toEqual({
      instances: [
        { content: 'a', task_type: 'RETRIEVAL_DOCUMENT' },
        { content: 'b', task_type: 'RETRIEVAL_DOCUMENT' },
      ],
      parameters: { outputDimensionality: 8 },
    });
    const r = decodePredictEmbeddingResponse(
      { predictions: [{ embeddings: { values: [0.1], statistics: { token_count: 2 } } }, { embeddings: { values: [0.2], statistics: { token_count: 3 } } }] },
      'text-embedding-005',
      P,
    );
    expect(r.embeddings).toEqual([[0.1], [0.2]]);
    expect(r.usage.prompt).toBe(5);
    expect(() => decodePredictEmbeddingResponse({ predictions: [{}] }, 'm', P)).toThrow(GatewayError);
    // A count missing or not a count: the gateway estimates the inputs rather than billing nothing.
    const uncounted = decodePredictEmbeddingResponse({ predictions: [{ embeddings: { values: [0.1], statistics: { token_count: 2 } } }, { embeddings: { values: [0.2], statistics: { token_count: 1e300 } } }] }, 'm', P);
    expect(uncounted.usageEstimated).toBe(true);
  });
});

describe('gemini replies whose answer fields have the wrong JSON type', () => {
  const answer = (parts: unknown[], finishReason: unknown = 'STOP') => ({ candidates: [{ content: { role: 'model', parts }, finishReason }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 } });
  const refusedAs = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream vertex returned a malformed response: ${what}.` });

  it('refuses a part whose text is not a string, whole and streamed, never serving an empty answer', async () => {
    expect(() => decodeGenerateContentResponse(answer([{ text: 5 }]), 'vertex')).toThrowError(refusedAs('a part whose text is not a string'));
    expect(await failure([answer([{ text: ['hi'] }])])).toEqual(refusedAs('a part whose text is not a string'));
  });

  it('refuses function call args that are not an object (JSON text, a list), whole and streamed; absent args are none', async () => {
    for (const args of ['{"city":"Paris"}', ['Paris']]) {
      expect(() => decodeGenerateContentResponse(answer([{ functionCall: { name: 'f', args } }]), 'vertex'), JSON.stringify(args)).toThrowError(refusedAs('function call args that are not an object'));
      expect(await failure([answer([{ functionCall: { name: 'f', args } }])])).toEqual(refusedAs('function call args that are not an object'));
    }
    expect(decodeGenerateContentResponse(answer([{ functionCall: { name: 'f' } }]), 'vertex').content).toMatchObject([{ type: 'tool-call', arguments: '{}' }]);
  });

  it('refuses a finishReason that is not a string, whole and streamed', async () => {
    expect(() => decodeGenerateContentResponse(answer([{ text: 'hi' }], 1), 'vertex')).toThrowError(refusedAs('a finishReason that is not a string'));
    expect(await failure([answer([{ text: 'hi' }], 1)])).toEqual(refusedAs('a finishReason that is not a string'));
  });
});
