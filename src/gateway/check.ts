import { GatewayError } from '../core/errors.js';
import type { ChatRequest, EmbeddingRequest } from '../core/types.js';

/*
 * Front doors validate what clients send in their own terms. These are the few invariants of the
 * canonical request that every dialect relies on and an in-process caller could still break; the
 * parameter is named canonically, as the in-process caller wrote it.
 */

/** Refuses (400 invalid_request) a chat request no dialect could encode. */
export function checkChatRequest(request: ChatRequest): void {
  const { messages, toolChoice } = request;
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('messages', 'messages must be a non-empty list.');
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!Array.isArray(m?.content)) throw invalid(`messages[${i}].content`, `messages[${i}].content must be a list of parts.`);
    if (m.role === 'assistant' && m.content.length === 0) throw invalid(`messages[${i}].content`, `messages[${i}] is an assistant message without content.`);
  }
  if (toolChoice?.type === 'tool' && !request.tools?.some((t) => t.name === toolChoice.name)) {
    throw invalid('toolChoice.name', `toolChoice names the tool '${toolChoice.name}', which is not among the request's tools.`);
  }
}

/** Refuses (400 invalid_request) an embeddings request without input, or with both texts and token ids. */
export function checkEmbeddingRequest(request: EmbeddingRequest): void {
  const { input, tokens } = request;
  if (tokens === undefined) {
    if (!Array.isArray(input) || input.length === 0) throw invalid('input', 'input must be a non-empty list of strings.');
    return;
  }
  if (input !== undefined) throw invalid('input', 'An embeddings request has input (texts) or tokens (token ids), not both.');
  if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((ids) => Array.isArray(ids) && ids.length > 0)) {
    throw invalid('tokens', 'tokens must be a non-empty list of non-empty lists of token ids.');
  }
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}
