import type { Ingress } from '../http/route.js';
import { anthropicMessages } from './anthropic-messages/index.js';
import { openAIChat } from './openai-chat/index.js';
import { openAIResponses } from './openai-responses/index.js';

/** Every front door the gateway serves; the first one's error shape also answers unknown routes. */
export const INGRESSES: readonly Ingress[] = [openAIChat, openAIResponses, anthropicMessages];
