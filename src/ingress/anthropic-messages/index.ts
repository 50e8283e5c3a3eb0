import type { Ingress } from '../../http/route.js';
import { anthropicErrorAnswer, toAnthropicError } from './errors.js';
import { ANTHROPIC_MESSAGES_ROUTES } from './routes.js';

/** The Anthropic Messages front door: its routes and Anthropic's error body. */
export const anthropicMessages: Ingress = {
  name: 'anthropic-messages',
  routes: ANTHROPIC_MESSAGES_ROUTES,
  encodeError: toAnthropicError,
  errorAnswer: anthropicErrorAnswer,
};
