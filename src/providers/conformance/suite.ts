import type OpenAI from 'openai';
import type { ConformanceSetup } from '../conformance.js';

/** What every group of specs reads once the suite's beforeAll ran: the target's setup and a client of the gateway. */
export interface ConformanceSuite {
  readonly setup: ConformanceSetup;
  /** The official SDK, pointed at the gateway's `/v1`. */
  readonly client: OpenAI;
  /** The gateway's base URL, for what the SDK hides (raw stream frames). */
  readonly url: string;
}

export const TOOL = {
  type: 'function' as const,
  function: {
    name: 'lookup',
    description: 'Looks a query up.',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
};

/** A second tool, for answers that call two at once. */
export const SECOND_TOOL = {
  type: 'function' as const,
  function: {
    name: 'weather',
    description: 'Tells the weather of a place.',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
};

// A 1x1 transparent PNG.
export const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

export const ask = (content: string): OpenAI.Chat.ChatCompletionMessageParam[] => [{ role: 'user', content }];
