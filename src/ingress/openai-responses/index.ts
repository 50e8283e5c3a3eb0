import type { Ingress } from '../../http/route.js';
import { openAIErrorBody } from '../openai-chat/errors.js';
import { OPENAI_RESPONSES_ROUTES } from './routes.js';

/** The OpenAI Responses front door: `POST /v1/responses`, its typed stream events and OpenAI's error body. */
export const openAIResponses: Ingress = {
  name: 'openai-responses',
  routes: OPENAI_RESPONSES_ROUTES,
  encodeError: openAIErrorBody,
};
