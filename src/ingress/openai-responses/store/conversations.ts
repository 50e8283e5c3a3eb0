import { GatewayError } from '../../../core/errors.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import type { Message } from '../../../core/types.js';
import type { Gateway } from '../../../gateway/gateway.js';
import { MemoryConversationStore } from './memory.js';
import type { ConversationStore } from './store.js';
import { storedMessages } from './stored.js';

/**
 * A gateway's stored conversations. A save runs in the background once the answer is out; a request
 * naming that response waits for it, so a client that asks again at once still finds it here.
 */
export class Conversations {
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ConversationStore,
    private readonly logger: Logger,
  ) {}

  save(id: string, owner: string, messages: readonly Message[]): Promise<void> {
    const saving = this.store
      .save(id, owner, messages)
      .catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err), responseId: id }, 'could not store a response'))
      .finally(() => this.pending.delete(id));
    this.pending.set(id, saving);
    return saving;
  }

  /** The conversation up to `id`; a 400 naming `previous_response_id` when it is not there for this caller or unreadable. */
  async history(id: string, owner: string): Promise<Message[]> {
    await this.pending.get(id);
    let messages: unknown;
    try {
      messages = await this.store.load(id, owner);
    } catch (err) {
      throw new GatewayError({ kind: 'unavailable', code: 'response_store_unavailable', message: 'The response store is unreachable; try again later.', cause: err });
    }
    if (messages === undefined) {
      throw new GatewayError({ kind: 'invalid_request', code: 'previous_response_not_found', param: 'previous_response_id', message: `Previous response with id '${id.slice(0, 80)}' not found.` });
    }
    return storedMessages(messages, id);
  }
}

/*
 * Front doors are static route tables, while a store belongs to one gateway (its config, its ledger
 * database): the composition root attaches it; a gateway without one keeps conversations in memory.
 */
const attached = new WeakMap<Gateway, Conversations>();

/** Makes `store` the place `gateway`'s Responses front door keeps conversations. */
export function attachConversationStore(gateway: Gateway, store: ConversationStore, logger: Logger = silentLogger): void {
  attached.set(gateway, new Conversations(store, logger));
}

/** The gateway's stored conversations, or undefined when `responses.store.enabled` is false. */
export function conversationsOf(gateway: Gateway): Conversations | undefined {
  const cfg = gateway.config.responses.store;
  if (!cfg.enabled) return undefined;
  let c = attached.get(gateway);
  if (!c) {
    c = new Conversations(new MemoryConversationStore(cfg.retention_hours * 3_600_000, cfg.max_memory_responses), silentLogger);
    attached.set(gateway, c);
  }
  return c;
}
