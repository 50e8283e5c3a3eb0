import { GatewayError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { Message } from '../../../core/types.js';
import type { ResponsesConfig } from '../config.js';
import { MemoryConversationStore } from './memory.js';
import type { ConversationStore } from './store.js';
import { storedMessages } from './stored.js';
import { fromLedger } from '../../../http/ledger-query.js';

/** A stored conversation read back: its messages and the residency it was made under (undefined: none). */
export interface History {
  messages: Message[];
  residency: string | undefined;
}

const STORE_UNAVAILABLE = { code: 'response_store_unavailable', message: 'The response store is unreachable; try again later.' };

/**
 * An app's stored conversations, handed to the Responses routes by the HTTP handler
 * (`HandlerOptions.conversations`). A save runs in the background once the answer is out; a request
 * naming that response waits for it, so a client that asks again at once still finds it here.
 */
export class Conversations {
  private readonly pending = new Map<string, Promise<void>>();
  private readonly reading = new Set<Promise<History>>();

  constructor(
    private readonly store: ConversationStore,
    private readonly logger: Logger,
  ) {}

  /** Keeps a conversation made under `residency` (the request's, undefined for none). */
  save(id: string, owner: string, messages: readonly Message[], residency: string | undefined): Promise<void> {
    const saving = this.store
      .save(id, owner, messages, residency)
      .catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err), responseId: id }, 'could not store a response'))
      .finally(() => this.pending.delete(id));
    this.pending.set(id, saving);
    return saving;
  }

  /**
   * The conversation up to `id` and the residency it was made under; a 400 naming `previous_response_id`
   * when it is not there for this caller or unreadable.
   */
  history(id: string, owner: string): Promise<History> {
    const reading = this.read(id, owner);
    this.reading.add(reading);
    return reading.finally(() => this.reading.delete(reading));
  }

  /**
   * Resolves once every save and read already begun has settled: the app closes its ledger database
   * only after, so a request that began on an app a reload retired still finishes on its store.
   */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending.values(), ...this.reading]);
  }

  private async read(id: string, owner: string): Promise<History> {
    await this.pending.get(id);
    const stored = await fromLedger(() => this.store.load(id, owner), this.logger, 'previous_response_id lookup failed', STORE_UNAVAILABLE);
    if (stored === undefined) {
      throw new GatewayError({ kind: 'invalid_request', code: 'previous_response_not_found', param: 'previous_response_id', message: `Previous response with id '${id.slice(0, 80)}' not found.` });
    }
    return { messages: storedMessages(stored.messages, id), residency: stored.residency };
  }
}

/** Conversations in this process's memory, under the config's retention and cap (`responses.store`). */
export function memoryConversations(cfg: ResponsesConfig['store'], logger: Logger): Conversations {
  return new Conversations(new MemoryConversationStore(cfg.retention_hours * 3_600_000, cfg.max_memory_responses), logger);
}
