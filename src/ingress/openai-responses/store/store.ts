import type { ChatMessage } from '../../../core/types.js';

/** Where stored responses live: the conversation up to and including each response, by id and owner. */
export interface ConversationStore {
  /** Keeps `messages` under `id` for `owner` until the retention ends. */
  save(id: string, owner: string, messages: readonly ChatMessage[]): Promise<void>;
  /** The conversation of `id`, or undefined when it is unknown, expired or another owner's. */
  load(id: string, owner: string): Promise<ChatMessage[] | undefined>;
}
