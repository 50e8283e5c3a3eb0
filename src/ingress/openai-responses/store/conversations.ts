import { GatewayError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { Message } from '../../../core/types.js';
import type { ResponsesConfig } from '../config.js';
import { MemoryConversationStore, memoryLimits } from './memory.js';
import type { AnswerInProgress, ConversationStore, StoredAnswer, StoredResponse } from './store.js';
import { storedMessages } from './stored.js';
import { fromLedger } from '../../../http/ledger-query.js';
import { errorMessage } from '../../../core/error-trace.js';

/** A stored conversation read back: its messages and the residency it was made under (undefined: none). */
export interface History {
  messages: Message[];
  residency: string | undefined;
}

const STORE_UNAVAILABLE = { code: 'response_store_unavailable', message: 'The response store is unreachable; try again later.' };

/** The shape of the ids the door gives responses (`ResponseIds`): only such an id is quoted back (a key pasted in its place must not come back). */
const RESPONSE_ID = /^resp_[0-9a-f]{32}$/;

/** How a message names response `id`: quoted only when it has our ids' shape (a key pasted in place of an id must not come back). */
const named = (id: string): string => (RESPONSE_ID.test(id) ? `with id '${id}'` : 'with that id');

/**
 * OpenAI's 404 for a response it does not have (unknown, expired, another key's, deleted). The id comes
 * from the URL, so it is quoted only when `named` may. `storageOff` says why nothing can be found.
 */
export function responseNotFound(id: string, storageOff = false): GatewayError {
  const why = storageOff ? ' Response storage is disabled on this gateway (responses.store.enabled).' : '';
  return new GatewayError({ kind: 'not_found', code: storageOff ? 'response_storage_disabled' : 'response_not_found', message: `No response found ${named(id)}.${why}` });
}

/**
 * The 400 for what a response still streaming does not have yet: a continuation needs its answer; and
 * the input items of one an older build marked, which kept them only with the answer.
 */
export function responseInProgress(id: string, param?: 'previous_response_id'): GatewayError {
  if (param === undefined) {
    return new GatewayError({ kind: 'invalid_request', code: 'response_in_progress', message: `Response ${named(id)} is still in progress; its input items can be listed once it has completed.` });
  }
  return new GatewayError({ kind: 'invalid_request', code: 'previous_response_in_progress', param, message: `Previous response ${named(id)} is still in progress; continue it once it has completed.` });
}

/**
 * The 400 for continuing a response whose stream failed. The API documents no continuation of one (a
 * failed response has no whole answer to go on from): refused, naming where to go on from instead.
 */
function previousResponseFailed(id: string): GatewayError {
  return new GatewayError({
    kind: 'invalid_request',
    code: 'previous_response_failed',
    param: 'previous_response_id',
    message: `Previous response ${named(id)} failed and cannot be continued; continue from the response before it, or send the conversation as input.`,
  });
}

/**
 * An app's stored conversations, handed to the Responses routes by the HTTP handler
 * (`HandlerOptions.conversations`). A save runs in the background once the answer is out; a request
 * naming that response waits for it, so a client that asks again at once still finds it here.
 */
export class Conversations {
  /** Writes under way by response id (`write`), which lookups of that id and `settled` wait for. */
  private readonly pending = new Map<string, Promise<boolean>>();
  /** Reads and deletes under way, which `settled` waits for. */
  private readonly reading = new Set<Promise<unknown>>();

  constructor(
    private readonly store: ConversationStore,
    private readonly logger: Logger,
  ) {}

  /** Keeps a response: its conversation, made under its residency (the request's, undefined for none), and its answer. */
  save(id: string, owner: string, stored: StoredResponse): Promise<boolean> {
    return this.write(id, 'could not store a response', () => this.store.save(id, owner, stored));
  }

  /**
   * Marks a streamed response as under way, before its `response.created` goes out: from then on a
   * read of it answers `begun.response` (its in-progress Response object, JSON), its input items are
   * listed, and a DELETE of it is answered, and its `finish` keeps nothing. False when the store could
   * not mark it (logged): then the stream is not stored, as a failed save is not.
   */
  begin(id: string, owner: string, begun: StoredAnswer): Promise<boolean> {
    return this.write(id, 'could not mark a response under way', () => this.store.begin(id, owner, begun));
  }

  /** Keeps a begun response once its stream has ended well, unless it was deleted meanwhile. */
  finish(id: string, owner: string, stored: StoredResponse): Promise<boolean> {
    return this.write(id, 'could not store a response', async () => {
      if (!(await this.store.finish(id, owner, stored))) this.logger.debug({ responseId: id }, 'a response deleted while it streamed was not stored');
    });
  }

  /**
   * Keeps a begun response whose stream failed: its failed Response object (the `response.failed`
   * event's) and input items, read back as the API reads back a failed response; not continued.
   */
  fail(id: string, owner: string, failed: StoredAnswer): Promise<boolean> {
    return this.write(id, 'could not store a failed response', async () => {
      if (!(await this.store.fail(id, owner, failed))) this.logger.debug({ responseId: id }, 'a response deleted while it streamed was not stored');
    });
  }

  /** Forgets a begun response whose client left: nothing will be saved. */
  abandon(id: string, owner: string): Promise<boolean> {
    return this.write(id, 'could not clear a response under way', () => this.store.abandon(id, owner));
  }

  /**
   * The conversation up to `id` and the residency it was made under; a 400 naming `previous_response_id`
   * when it is not there for this caller, still in progress, failed or unreadable.
   */
  history(id: string, owner: string): Promise<History> {
    return this.track(this.read(id, owner));
  }

  /**
   * Response `id` as the door answered it and its input items, or while it streams its in-progress
   * Response; a 404 when it is not there for this caller.
   */
  async answered(id: string, owner: string): Promise<StoredAnswer | AnswerInProgress> {
    const answer = await this.answerOf(id, owner);
    if (answer === undefined) throw responseNotFound(id);
    return answer;
  }

  /** Response `id` as `answered` finds it, or undefined when it is not there for this caller (no 404: an item reference words its own). */
  answerOf(id: string, owner: string): Promise<StoredAnswer | AnswerInProgress | undefined> {
    return this.track(this.lookUp(id, 'stored response lookup failed', () => this.store.answered(id, owner)));
  }

  /**
   * The canonical conversation of response `id` up to its answer, or undefined when there is none to
   * read for this caller (unknown, in progress, failed, or in a form this gateway cannot read).
   */
  async messagesOf(id: string, owner: string): Promise<Message[] | undefined> {
    const stored = await this.track(this.lookUp(id, 'stored conversation lookup failed', () => this.store.load(id, owner)));
    if (stored === undefined || 'inProgress' in stored || 'failed' in stored) return undefined;
    try {
      return storedMessages(stored.messages, id);
    } catch {
      // An older build's rows: they hold no reasoning to recover, which is all this is read for.
      return undefined;
    }
  }

  /**
   * Deletes response `id`, stored or under way (its stream's save then keeps nothing), so neither a read
   * nor `previous_response_id` finds it again; a 404 when it is neither for this caller.
   */
  delete(id: string, owner: string): Promise<void> {
    const deleting = this.lookUp(id, 'stored response delete failed', async () => {
      if (!(await this.store.delete(id, owner))) throw responseNotFound(id);
    });
    return this.track(deleting);
  }

  /**
   * Resolves once every save, read and delete already begun has settled: the app closes its ledger database
   * only after, so a request that began on an app a reload retired still finishes on its store.
   */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending.values(), ...this.reading]);
  }

  /**
   * A write about `id`, run once the one before it here has settled (a stream's finish after its begin;
   * a lookup of `id` waits for it too). A failure is logged, never thrown: the answer stands without it.
   * True when the write went through.
   */
  private write(id: string, failed: string, work: () => Promise<void>): Promise<boolean> {
    const writing = (this.pending.get(id) ?? Promise.resolve(true))
      .then(work)
      .then(
        () => true,
        (err: unknown) => {
          this.logger.warn({ err: errorMessage(err), responseId: id }, failed);
          return false;
        },
      )
      .finally(() => {
        if (this.pending.get(id) === writing) this.pending.delete(id);
      });
    this.pending.set(id, writing);
    return writing;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.reading.add(work);
    return work.finally(() => this.reading.delete(work));
  }

  /** `query` on the store once a save of `id` begun here has settled (a client asking at once finds it). */
  private async lookUp<T>(id: string, failed: string, query: () => Promise<T>): Promise<T> {
    await this.pending.get(id);
    return fromLedger(query, this.logger, failed, STORE_UNAVAILABLE);
  }

  private async read(id: string, owner: string): Promise<History> {
    const stored = await this.lookUp(id, 'previous_response_id lookup failed', () => this.store.load(id, owner));
    if (stored === undefined) {
      throw new GatewayError({ kind: 'invalid_request', code: 'previous_response_not_found', param: 'previous_response_id', message: `Previous response ${named(id)} not found.` });
    }
    if ('inProgress' in stored) throw responseInProgress(id, 'previous_response_id');
    if ('failed' in stored) throw previousResponseFailed(id);
    return { messages: storedMessages(stored.messages, id), residency: stored.residency };
  }
}

/** Conversations in this process's memory, under the config's retention and cap (`responses.store`). */
export function memoryConversations(cfg: ResponsesConfig['store'], logger: Logger): Conversations {
  return new Conversations(new MemoryConversationStore(memoryLimits(cfg)), logger);
}
