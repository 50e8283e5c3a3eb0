import { describe, expect, it } from 'vitest';
import type { ChatRequest, StreamPart } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import { decodeGenerateContentResponse } from './decode-response.js';
import { decodeGenerateContentStream } from './decode-stream.js';
import { encodeGenerateContentRequest } from './encode-request.js';
import type { GeminiPart } from './wire.js';

const P = 'vertex';

/** What Gemini gets back when a decoded answer is the next request's assistant turn. */
function roundTrip(parts: GeminiPart[]): GeminiPart[] | undefined {
  const answer = decodeGenerateContentResponse({ candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP' }], responseId: 'r1' }, P);
  const request: ChatRequest = { model: 'g', messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }, { role: 'assistant', content: answer.content }] };
  return encodeGenerateContentRequest(request).body.contents[1]?.parts;
}

async function stream(chunks: unknown[]): Promise<StreamPart[]> {
  async function* events(): AsyncGenerator<SseEvent> {
    for (const c of chunks) yield { event: undefined, data: JSON.stringify(c) };
  }
  const out: StreamPart[] = [];
  for await (const p of decodeGenerateContentStream(events(), P, [{ type: 'unsupported-setting', setting: 'parallelToolCalls', message: 'ignored' }])) out.push(p);
  return out;
}

describe('gemini thought signatures', () => {
  it('go back on the very parts Gemini signed: thoughts, function calls and text', () => {
    const withCalls: GeminiPart[] = [
      { text: 'Let me look.', thought: true, thoughtSignature: 'sig-thought' },
      { functionCall: { name: 'lookup', args: { q: 'x' } }, thoughtSignature: 'sig-call' },
      { functionCall: { name: 'lookup', args: { q: 'y' } } },
    ];
    expect(roundTrip(withCalls)).toEqual(withCalls);
    const withText: GeminiPart[] = [{ text: 'Pondering.', thought: true }, { text: 'Answer.', thoughtSignature: 'sig-text' }];
    expect(roundTrip(withText)).toEqual(withText);
    const trailing: GeminiPart[] = [{ text: 'Answer.' }, { text: '', thoughtSignature: 'sig-end' }];
    expect(roundTrip(trailing)).toEqual(trailing);
  });

  it('decode a function call\'s signature as an empty Google reasoning part just before the call', () => {
    const answer = decodeGenerateContentResponse({ candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'sig-call' }] }, finishReason: 'STOP' }] }, P);
    expect(answer.content).toEqual([
      { type: 'reasoning', text: '', signature: 'sig-call', provider: 'google' },
      { type: 'tool-call', id: expect.stringMatching(/^call_/) as unknown, name: 'f', arguments: '{}' },
    ]);
  });

  it('stream as reasoning deltas with the signature, a call\'s just before the call, after a start part carrying the warnings', async () => {
    const parts = await stream([
      { candidates: [{ content: { parts: [{ text: 'Let me look.', thought: true }] } }], responseId: 'r1' },
      { candidates: [{ content: { parts: [{ functionCall: { name: 'lookup', args: { q: 'x' } }, thoughtSignature: 'sig-call' }] }, finishReason: 'STOP' }], responseId: 'r1' },
    ]);
    expect(parts[0]).toEqual({ type: 'start', id: 'r1', model: undefined, warnings: [{ type: 'unsupported-setting', setting: 'parallelToolCalls', message: 'ignored' }] });
    expect(parts.filter((p) => p.type === 'reasoning' || p.type === 'tool-call')).toEqual([
      { type: 'reasoning', delta: 'Let me look.', provider: 'google' },
      { type: 'reasoning', delta: '', signature: 'sig-call', provider: 'google' },
      { type: 'tool-call', index: 0, id: expect.stringMatching(/^call_/) as unknown, name: 'lookup', argumentsDelta: '{"q":"x"}' },
    ]);
  });

  it('stream a signed thought and a signed final empty text part', async () => {
    const parts = await stream([
      { candidates: [{ content: { parts: [{ text: 'Hmm.', thought: true, thoughtSignature: 'sig-thought' }] } }] },
      { candidates: [{ content: { parts: [{ text: 'Yes.' }] } }] },
      { candidates: [{ content: { parts: [{ text: '', thoughtSignature: 'sig-end' }] }, finishReason: 'STOP' }] },
    ]);
    expect(parts.filter((p) => p.type === 'reasoning' || p.type === 'text')).toEqual([
      { type: 'reasoning', delta: 'Hmm.', signature: 'sig-thought', provider: 'google' },
      { type: 'text', delta: 'Yes.' },
      { type: 'reasoning', delta: '', signature: 'sig-end', provider: 'google' },
    ]);
  });

  it('give Gemini 3 Google\'s stand-in signature on each step\'s first unsigned call (a client of another API carries none), and older models nothing', () => {
    const request: ChatRequest = {
      model: 'g',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', id: 'a', name: 'f', arguments: '{}' },
            { type: 'tool-call', id: 'b', name: 'f', arguments: '{}' },
          ],
        },
        { role: 'tool', toolCallId: 'a', content: [{ type: 'text', text: '1' }] },
        { role: 'tool', toolCallId: 'b', content: [{ type: 'text', text: '2' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: '', signature: 'sig-real', provider: 'google' }, { type: 'tool-call', id: 'c', name: 'f', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'c', content: [{ type: 'text', text: '3' }] },
      ],
    };
    const signatures = (model: string): unknown[] =>
      (encodeGenerateContentRequest(request, model).body.contents.filter((c) => c.role === 'model').flatMap((c) => c.parts) as GeminiPart[]).map((p) => ('thoughtSignature' in p ? p.thoughtSignature : undefined));
    expect(signatures('gemini-3-pro-preview')).toEqual(['skip_thought_signature_validator', undefined, 'sig-real']);
    expect(signatures('publishers/google/models/gemini-3.1-flash')).toEqual(['skip_thought_signature_validator', undefined, 'sig-real']);
    expect(signatures('gemini-2.5-flash')).toEqual([undefined, undefined, 'sig-real']);
  });
});
