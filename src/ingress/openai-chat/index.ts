import type { Ingress } from '../../http/route.js';
import { openAIErrorBody } from './errors.js';
import { OPENAI_CHAT_ROUTES } from './routes.js';

/** The OpenAI chat completions front door: its routes and OpenAI's error body. */
export const openAIChat: Ingress = {
  name: 'openai-chat',
  routes: OPENAI_CHAT_ROUTES,
  encodeError: openAIErrorBody,
};
