import type { Message } from '../../../core/types.js';

/** A conversation as a store gives it back. */
export interface StoredConversation {
  /** The messages as they were stored (an older gateway's rows may hold another shape). */
  messages: unknown;
  /** The residency the conversation was made under; undefined when it had none. */
  residency: string | undefined;
}

/** Where stored responses live: the conversation up to and including each response, by id and owner. */
export interface ConversationStore {
  /** Keeps `messages`, made under `residency`, under `id` for `owner` until the retention ends. */
  save(id: string, owner: string, messages: readonly Message[], residency: string | undefined): Promise<void>;
  /** The conversation of `id`, or undefined when it is unknown, expired or another owner's. */
  load(id: string, owner: string): Promise<StoredConversation | undefined>;
}
