import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/types.js';
import { encodeConverseRequest } from './bedrock-converse/encode-request.js';
import { encodeGenerateContentRequest } from './gemini/encode-request.js';
import { encodeChatRequest } from './openai-chat/encode-request.js';

const stops = (n: number): string[] => Array.from({ length: n }, (_, i) => `STOP${i}`);
const ask = (stopSequences: string[]): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stopSequences });
const openai = (n: number, maxStopSequences?: number) => encodeChatRequest(ask(stops(n)), { model: 'gpt-4o', provider: 'azure-openai', stream: false, maxStopSequences }).body.stop;
const gemini = (n: number) => encodeGenerateContentRequest(ask(stops(n)), 'gemini-2.5-flash').body.generationConfig?.stopSequences;
const bedrock = (request: ChatRequest) => encodeConverseRequest(request, { model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }).inferenceConfig?.stopSequences;

/** Refused before sending: a 400 naming `stop`, which the next deployment of a group may still serve. */
const REFUSAL = { kind: 'invalid_request', status: 400, param: 'stop', fallbackable: true, retryable: false, unsent: true };

describe('stop sequences beyond what the upstream takes are refused before sending, never cut', () => {
  it('OpenAI and Azure: up to 4', () => {
    expect(openai(4, 4)).toEqual(stops(4));
    expect(() => openai(5, 4)).toThrow(expect.objectContaining({ ...REFUSAL, message: 'azure-openai takes at most 4 stop sequences; the request has 5.' }));
  });

  it('an OpenAI-compatible server without a known limit (vLLM, Ollama): any number', () => {
    expect(openai(9)).toEqual(stops(9));
  });

  it('Gemini: up to 5', () => {
    expect(gemini(5)).toEqual(stops(5));
    expect(() => gemini(6)).toThrow(expect.objectContaining(REFUSAL));
  });

  it('Bedrock Converse: up to 4, counted after the blank ones Claude refuses are dropped', () => {
    expect(bedrock(ask(stops(4)))).toEqual(stops(4));
    expect(bedrock(ask([...stops(4), ' ']))).toEqual(stops(4));
    expect(() => bedrock(ask(stops(5)))).toThrow(expect.objectContaining(REFUSAL));
  });
});
