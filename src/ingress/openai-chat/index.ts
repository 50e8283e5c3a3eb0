import type { Ingress } from '../../http/route.js';
import { openAIErrorBody } from './errors.js';
import { OPENAI_CHAT_ROUTES } from './routes.js';

/**
 * The OpenAI chat completions front door: its routes and OpenAI's error body. `GET /v1/models` answers
 * Anthropic's clients in Anthropic's shape (`anthropic-messages/models.ts`), its refusals included
 * (the routes' `errorDoor`).
 */
export const openAIChat: Ingress = {
  name: 'openai-chat',
  routes: OPENAI_CHAT_ROUTES,
  encodeError: openAIErrorBody,
};
