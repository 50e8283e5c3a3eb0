import { makeUsage, textOf, type AssistantPart, type ChatRequest, type ChatResponse, type Message, type Usage } from '../core/types.js';

/*
 * Short builders of canonical requests and answers for in-process tests, so that a test states what
 * it is about rather than the shape of a message.
 */

/** A user message of one text part. */
export function userText(text: string): Message {
  return { role: 'user', content: [{ type: 'text', text }] };
}

/** A system message of one text part. */
export function systemText(text: string): Message {
  return { role: 'system', content: [{ type: 'text', text }] };
}

/** An assistant message of one text part. */
export function assistantText(text: string): Message {
  return { role: 'assistant', content: [{ type: 'text', text }] };
}

/** A chat request of one user message, with any other canonical fields in `extra`. */
export function userRequest(model: string, text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model, messages: [userText(text)], ...extra };
}

/** An answer of one text part (no part for an empty text), finished with `stop` unless `extra` says otherwise. */
export function answer(text: string, usage: Partial<Usage> = { prompt: 10, completion: 5 }, extra: Partial<ChatResponse> = {}): ChatResponse {
  const content: AssistantPart[] = text === '' ? [] : [{ type: 'text', text }];
  return { id: 'resp-test', model: 'test-model', created: 0, content, finishReason: 'stop', usage: makeUsage(usage), ...extra };
}

/** The text of an answer (its text parts, joined). */
export function answerText(response: Pick<ChatResponse, 'content'>): string {
  return textOf(response.content);
}
