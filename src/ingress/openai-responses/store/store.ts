import type { Message } from '../../../core/types.js';

/** What a store keeps of one response. */
export interface StoredResponse {
  /** The conversation up to and including the response's answer. */
  messages: readonly Message[];
  /** The residency the conversation was made under; undefined when it had none. */
  residency: string | undefined;
  /** The Response object's JSON text, as the door answered it (a stream: its `response.completed`). */
  response: string;
  /** The JSON text of the request's input as Responses items with ids (`input-items.ts`). */
  inputItems: string;
}

/** A conversation as a store gives it back. */
export interface StoredConversation {
  /** The messages as they were stored (an older gateway's rows may hold another shape). */
  messages: unknown;
  /** The residency the conversation was made under; undefined when it had none. */
  residency: string | undefined;
}

/** A response as answered and its input items, as JSON texts. */
export interface StoredAnswer {
  response: string;
  inputItems: string;
}

/** Where stored responses live: the conversation up to and including each response, by id and owner. */
export interface ConversationStore {
  /** Keeps `stored` under `id` for `owner` until the retention ends. */
  save(id: string, owner: string, stored: StoredResponse): Promise<void>;
  /** The conversation of `id`, or undefined when it is unknown, expired or another owner's. */
  load(id: string, owner: string): Promise<StoredConversation | undefined>;
  /** The answer of `id`, or undefined as for `load`, and for a response an older gateway stored without it. */
  answered(id: string, owner: string): Promise<StoredAnswer | undefined>;
  /** Forgets `id`; false when there was nothing `load` would have found. */
  delete(id: string, owner: string): Promise<boolean>;
}
