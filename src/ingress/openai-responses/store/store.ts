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

/** A response whose stream is still under way, as `load` finds it. */
export interface InProgress {
  inProgress: true;
}

/** A response whose stream failed, as `load` finds it: kept to be read back, with no conversation to continue. */
export interface Failed {
  failed: true;
}

/**
 * The same as `answered` finds it: its Response object (status `in_progress`, JSON) and its input items
 * as `begin` was given them (no input items in a mark an older build began).
 */
export interface AnswerInProgress extends InProgress {
  response: string;
  inputItems: string | undefined;
}

/**
 * How long a response under way (a stream) is marked as such at most: no stream runs this long
 * (`routing.stream_max_ms` defaults to an hour). Its stream's end clears the mark at once; this bound
 * only clears one that a process which died mid-stream left, and its tombstone if it was deleted.
 */
export const IN_FLIGHT_MS = 24 * 3_600_000;

/**
 * Where stored responses live: the conversation up to and including each response, by id and owner.
 * A streamed response exists from its `response.created` on, before it can be saved: `begin` marks it,
 * so a read meanwhile finds it in progress, and a DELETE finds it and leaves a tombstone that its
 * `finish` obeys.
 */
export interface ConversationStore {
  /** Keeps `stored` under `id` for `owner` until the retention ends. */
  save(id: string, owner: string, stored: StoredResponse): Promise<void>;
  /**
   * Marks `id` as `owner`'s response under way (for at most `IN_FLIGHT_MS`), which reads and `delete`
   * find. `begun` is its in-progress Response object and its input items (JSON), which `answered`
   * gives back meanwhile: the input is known from the start, as the API lists it from the start.
   */
  begin(id: string, owner: string, begun: StoredAnswer): Promise<void>;
  /** Keeps a begun response as `save` does, unless it was deleted meanwhile: then false, and nothing is kept. */
  finish(id: string, owner: string, stored: StoredResponse): Promise<boolean>;
  /**
   * Keeps a begun response whose stream failed, as `finish` would (not if deleted meanwhile: false):
   * `failed` is its failed Response object and its input items, which reads give back; `load` finds it
   * `Failed`, for it has no answer to continue from.
   */
  fail(id: string, owner: string, failed: StoredAnswer): Promise<boolean>;
  /** Clears a begun response's mark (or tombstone): its client left, so nothing will be saved. */
  abandon(id: string, owner: string): Promise<void>;
  /**
   * The conversation of `id`, in progress while it streams, failed when its stream failed, or undefined
   * when it is unknown, expired, deleted or another owner's.
   */
  load(id: string, owner: string): Promise<StoredConversation | InProgress | Failed | undefined>;
  /**
   * The answer of `id`, or its in-progress Response while it streams; undefined as for `load`, and for
   * a response (or a mark) an older gateway stored without it.
   */
  answered(id: string, owner: string): Promise<StoredAnswer | AnswerInProgress | undefined>;
  /** Forgets `id`, stored or under way; false when it was neither (unknown, expired, deleted, another owner's). */
  delete(id: string, owner: string): Promise<boolean>;
}
