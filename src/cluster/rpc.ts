/**
 * Calls from cluster workers to objects the primary holds (shared state, budget counters), over the
 * cluster's IPC channel. The primary answers calls in arrival order, so an operation that is atomic
 * on its in-memory object stays atomic across workers; it also pushes notices to every worker, and
 * asks workers for what only they hold (their metrics, their status).
 */

export interface CallMessage {
  sy: 'call';
  id: number;
  target: string;
  method: string;
  args: readonly unknown[];
}

export interface ReplyMessage {
  sy: 'reply';
  id: number;
  value?: unknown;
  /** Set when the call failed: the error's message. */
  error?: string;
}

export interface PushMessage {
  sy: 'push';
  topic: string;
  data: unknown;
}

/** The primary asking one worker for what it holds on a topic; the worker tells it back. */
export interface AskMessage {
  sy: 'ask';
  id: number;
  topic: string;
}

export interface TellMessage {
  sy: 'tell';
  id: number;
  value?: unknown;
  /** Set when the worker could not answer: the error's message. */
  error?: string;
}

/** The primary's own methods (the cluster as a whole): `reloadOthers(workerId)` (what each other worker applied), `metrics()`, `status(workerId, ownStatus)`. */
export const CLUSTER_TARGET = 'cluster';

/**
 * One method the primary exposes; arguments arrive as the worker sent them, `from` is the calling
 * worker's id (what it reserved is released when it exits, `holdings.ts`).
 */
export type Handler = (args: readonly unknown[], from: number) => Promise<unknown>;
export type Handlers = Readonly<Record<string, Handler>>;

function isObject(m: unknown): m is Record<string, unknown> {
  return typeof m === 'object' && m !== null;
}

export function isTell(m: unknown): m is TellMessage {
  return isObject(m) && m.sy === 'tell' && typeof m.id === 'number';
}

export function isCall(m: unknown): m is CallMessage {
  return isObject(m) && m.sy === 'call' && typeof m.id === 'number' && typeof m.target === 'string' && typeof m.method === 'string' && Array.isArray(m.args);
}

/** Runs one call of worker `from` against the exposed targets; an unknown target or method is an error reply. */
export async function answer(targets: Readonly<Record<string, Handlers>>, call: CallMessage, from: number): Promise<ReplyMessage> {
  const handler = Object.hasOwn(targets, call.target) && Object.hasOwn(targets[call.target] as Handlers, call.method) ? (targets[call.target] as Handlers)[call.method] : undefined;
  if (!handler) return { sy: 'reply', id: call.id, error: `no shared method ${call.target}.${call.method}` };
  try {
    return { sy: 'reply', id: call.id, value: await handler(call.args, from) };
  } catch (err) {
    return { sy: 'reply', id: call.id, error: (err as Error).message };
  }
}

/** The worker's end of the IPC channel (`process` in a cluster worker). */
export interface Channel {
  /**
   * Queues a message; `false` only means the channel is backed up (the message is still delivered).
   * The callback gets the error of a send that failed; without one, Node emits it on the process.
   */
  send?(message: unknown, callback: (err: Error | null) => void): boolean;
  /** False once the channel is closed (the worker disconnected, the primary is gone). */
  readonly connected?: boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  deadline: number;
  timeoutMs: number;
}

/**
 * Sends calls to the primary and matches replies by id. A call unanswered within `timeoutMs` (the
 * primary is gone or stuck) fails; one sweeping timer checks deadlines, not a timer per call.
 */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly pushListeners = new Map<string, (data: unknown) => void>();
  private readonly askHandlers = new Map<string, () => Promise<unknown>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly onMessage = (m: unknown): void => this.receive(m);

  constructor(
    private readonly channel: Channel,
    private readonly timeoutMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {
    channel.on('message', this.onMessage);
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.floor(timeoutMs / 4)));
    this.sweeper.unref();
  }

  /** Calls `target.method(args)` in the primary; `timeoutMs` for a call that waits on more than the primary (a reload of every worker). */
  call(target: string, method: string, args: readonly unknown[], timeoutMs = this.timeoutMs): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const unavailable = (why: string): Error => new Error(`shared state unavailable: ${why} (${target}.${method})`);
      if (!this.channel.send || this.channel.connected === false) {
        reject(unavailable('no channel to the primary process'));
        return;
      }
      // Waiting before the send, and whatever send() returns: false only says the channel is backed up
      // (a metrics scrape sends hundreds of KB), and the primary will act on the call and answer it.
      this.pending.set(id, { resolve, reject, deadline: this.now() + timeoutMs, timeoutMs });
      const message: CallMessage = { sy: 'call', id, target, method, args };
      const failed = (err: unknown): void => {
        if (this.pending.delete(id)) reject(unavailable((err as Error).message));
      };
      try {
        this.channel.send(message, (err) => {
          if (err) failed(err);
        });
      } catch (err) {
        failed(err);
      }
    });
  }

  /** Listens to the primary's pushes on one topic (one listener per topic). */
  onPush(topic: string, listener: (data: unknown) => void): void {
    this.pushListeners.set(topic, listener);
  }

  /** Answers the primary's asks on one topic (one handler per topic). */
  onAsk(topic: string, handler: () => Promise<unknown>): void {
    this.askHandlers.set(topic, handler);
  }

  /** Fails the calls still waiting and stops listening. */
  close(): void {
    clearInterval(this.sweeper);
    this.channel.off('message', this.onMessage);
    for (const p of this.pending.values()) p.reject(new Error('shared state client closed'));
    this.pending.clear();
  }

  private receive(m: unknown): void {
    if (!isObject(m)) return;
    if (m.sy === 'reply' && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (typeof m.error === 'string') p.reject(new Error(m.error));
      else p.resolve(m.value);
    } else if (m.sy === 'push' && typeof m.topic === 'string') {
      this.pushListeners.get(m.topic)?.(m.data);
    } else if (m.sy === 'ask' && typeof m.id === 'number' && typeof m.topic === 'string') {
      void this.tell(m.id, m.topic);
    }
  }

  private async tell(id: number, topic: string): Promise<void> {
    const handler = this.askHandlers.get(topic);
    let message: TellMessage;
    try {
      if (!handler) throw new Error(`nothing answers ${topic} in this worker`);
      message = { sy: 'tell', id, value: await handler() };
    } catch (err) {
      message = { sy: 'tell', id, error: (err as Error).message };
    }
    // The worker may have left meanwhile (closed while collecting): a send on a closed channel with no
    // callback is an uncaught 'error' on the process. The primary's ask times out, and counts the miss.
    if (this.channel.connected === false) return;
    this.channel.send?.(message, () => undefined);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(id);
      p.reject(new Error(`the primary process did not answer within ${p.timeoutMs} ms`));
    }
  }
}

/**
 * The primary's end of its asks: matches each worker's tell to its ask by id. An ask unanswered
 * within its timeout fails, so a hung worker cannot hold up whoever waits for the answers.
 */
export class Asks {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void; timer: NodeJS.Timeout }>();

  /** Sends an ask with `send` (false: no channel to the worker); resolves with the worker's answer. */
  ask(send: (message: AskMessage) => boolean, topic: string, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!send({ sy: 'ask', id, topic })) {
        reject(new Error(`no channel to the worker (${topic})`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the worker did not answer ${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  /** Settles the ask a worker's tell answers; a late tell (its ask timed out) is dropped. */
  receive(m: TellMessage): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (typeof m.error === 'string') p.reject(new Error(m.error));
    else p.resolve(m.value);
  }
}
