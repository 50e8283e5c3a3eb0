import type { Message } from '../../../core/types.js';

/** Where stored responses live: the conversation up to and including each response, by id and owner. */
export interface ConversationStore {
  /** Keeps `messages` under `id` for `owner` until the retention ends. */
  save(id: string, owner: string, messages: readonly Message[]): Promise<void>;
  /**
   * The conversation of `id` as it was stored (an older gateway's rows may hold another shape), or
   * undefined when it is unknown, expired or another owner's.
   */
  load(id: string, owner: string): Promise<unknown>;
}
