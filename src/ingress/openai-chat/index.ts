import type { Ingress } from '../../http/route.js';
import { anthropicErrorAnswer, toAnthropicError } from '../anthropic-messages/errors.js';
import { inAnthropicShape } from '../anthropic-messages/models.js';
import { openAIErrorBody } from './errors.js';
import { OPENAI_CHAT_ROUTES } from './routes.js';

/**
 * The OpenAI chat completions front door: its routes and OpenAI's error body. `GET /v1/models` answers
 * Anthropic's clients in Anthropic's shape (`anthropic-messages/models.ts`), its refusals included.
 */
export const openAIChat: Ingress = {
  name: 'openai-chat',
  routes: OPENAI_CHAT_ROUTES,
  encodeError: (error, exposeUpstream, requestId) => (inAnthropicShape(error) ? toAnthropicError(error, exposeUpstream, requestId) : openAIErrorBody(error, exposeUpstream)),
  errorAnswer: (error, requestId, headers) => (inAnthropicShape(error) ? anthropicErrorAnswer(error, requestId, headers) : error.status),
};
