import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { MemoryStateStore } from '../state/memory.js';
import { IpcStateStore, STATE_CHANGED, stateHandlers } from '../state/ipc.js';
import { MemoryBudgetState, type CounterRef } from '../ledger/budgets/state.js';
import { IpcBudgetState, budgetHandlers } from '../ledger/budgets/ipc-state.js';
import type { LimitRef } from '../limits/counters.js';
import { IpcRateLimitState, rateLimitHandlers } from '../limits/ipc-state.js';
import { MemoryRateLimitState } from '../limits/state.js';
import { inProcessPrimary } from './testing/in-process-primary.js';
import { answer, Asks, isCall, isTell, RpcClient, type AskMessage, type CallMessage, type Handlers } from './rpc.js';

/** A primary in this process: workers' channels deliver calls to `answer` and replies back, asynchronously like IPC. */
const primary = inProcessPrimary;

/**
 * A worker's end of IPC as Node's `process` behaves: send() returns false once a message is queued
 * behind others, yet delivers it; after a disconnect a send fails, its error going to the callback,
 * or without one emitted on the process (an uncaught exception), recorded here in `emitted`.
 */
function nodeLikeChannel(targets: Record<string, Handlers>) {
  const toWorker = new EventEmitter();
  const emitted: Error[] = [];
  const sent: unknown[] = [];
  const channel = {
    connected: true,
    send(message: unknown, callback?: (err: Error | null) => void): boolean {
      if (!channel.connected) {
        const err = Object.assign(new Error('Channel closed'), { code: 'ERR_IPC_CHANNEL_CLOSED' });
        setImmediate(() => (callback ? callback(err) : emitted.push(err)));
        return false;
      }
      sent.push(message);
      setImmediate(() => {
        callback?.(null);
        if (isCall(message)) void answer(targets, message, 1).then((reply) => setImmediate(() => toWorker.emit('message', reply)));
      });
      return false;
    },
    on: (event: 'message', l: (m: unknown) => void) => toWorker.on(event, l),
    off: (event: 'message', l: (m: unknown) => void) => toWorker.off(event, l),
  };
  return { channel, emitted, sent, toWorker };
}

const ref = (counter: string, hardUsd: number): CounterRef => ({ counter, budget: 'b', value: '*', hardUsd, periodStart: 0, expiresAt: Date.now() + 60_000 });

describe('calls from workers to the primary', () => {
  it('two workers share one store, and every write that changed something is announced to all', async () => {
    const announced: string[] = [];
    const p = primary({ state: stateHandlers(new MemoryStateStore(), (key) => announced.push(key)) });
    const a = new IpcStateStore(new RpcClient(p.channel()));
    const b = new IpcStateStore(new RpcClient(p.channel()));
    expect(await a.setIfNewer('k', { at: 2, state: 'open' }, 'at')).toBe(true);
    expect(await b.setIfNewer('k', { at: 1, state: 'closed' }, 'at')).toBe(false);
    expect(await b.getMany(['k', 'missing'])).toEqual([{ at: 2, state: 'open' }, undefined]);
    expect(announced).toEqual(['k']);
    await b.delete('k');
    expect(await a.get('k')).toBeUndefined();
    expect(announced).toEqual(['k', 'k']);
  });

  it('reservations from several workers never overspend a hard limit: the primary checks and applies each in one step', async () => {
    const state = new MemoryBudgetState();
    const p = primary({ budgets: budgetHandlers(state) });
    const workers = [new IpcBudgetState(new RpcClient(p.channel())), new IpcBudgetState(new RpcClient(p.channel()))];
    const r = ref('b|0|*', 1);
    // Each reservation is 0.3 USD: at most four fit under 1 USD (the fourth starts at 0.9).
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (workers[i % 2] as IpcBudgetState).reserve([r], 0.3)));
    expect(results.filter((x) => x.ok)).toHaveLength(4);
    const first = results[0];
    const since = first?.ok === true ? first.since : [];
    expect(await (workers[1] as IpcBudgetState).settle([r], 0.2, { amount: 0.3, since })).toEqual([0.2]);
    expect(state.peek(r.counter)).toEqual({ spent: 0.2, reserved: expect.closeTo(0.9, 12) });
    expect(await (workers[0] as IpcBudgetState).claimNotice(r)).toBe(true);
    expect(await (workers[1] as IpcBudgetState).claimNotice(r)).toBe(false);
  });

  it('delivers the primary\'s pushes to the topic\'s listener', async () => {
    const p = primary({});
    const client = new RpcClient(p.channel());
    const got: unknown[] = [];
    client.onPush(STATE_CHANGED, (key) => got.push(key));
    p.push({ sy: 'push', topic: STATE_CHANGED, data: 'switchyard:breaker:oai' });
    p.push({ sy: 'push', topic: 'other', data: 1 });
    expect(got).toEqual(['switchyard:breaker:oai']);
    client.close();
  });

  it('fails a call the primary does not answer in time, and one to an unknown method at once', async () => {
    const silent = new EventEmitter();
    const stuck = new RpcClient({ send: () => true, on: (e, l) => silent.on(e, l), off: (e, l) => silent.off(e, l) }, 40);
    await expect(stuck.call('state', 'get', ['k'])).rejects.toThrow(/did not answer within 40 ms/);
    stuck.close();
    const p = primary({ state: {} });
    await expect(new RpcClient(p.channel()).call('state', 'constructor', [])).rejects.toThrow(/no shared method state.constructor/);
  });

  it('a call given its own timeout (a reload of every worker) waits that long, not the client\'s', async () => {
    vi.useFakeTimers();
    try {
      const toWorker = new EventEmitter();
      const sent: CallMessage[] = [];
      const client = new RpcClient({ send: (m) => (sent.push(m as CallMessage), true), on: (e, l) => toWorker.on(e, l), off: (e, l) => toWorker.off(e, l) }, 40);
      const short = client.call('cluster', 'metrics', []);
      const long = client.call('cluster', 'reloadOthers', [1], 35_000);
      const shortFailed = expect(short).rejects.toThrow(/did not answer within 40 ms/);
      await vi.advanceTimersByTimeAsync(30_000);
      await shortFailed;
      toWorker.emit('message', { sy: 'reply', id: sent[1]?.id, value: ['done'] });
      await expect(long).resolves.toEqual(['done']);
      client.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a worker answers the primary\'s asks on its topics; an unknown topic or a silent worker fails the ask', async () => {
    const toWorker = new EventEmitter();
    const asks = new Asks();
    const worker = new RpcClient({
      send(m) {
        setImmediate(() => isTell(m) && asks.receive(m));
        return true;
      },
      on: (e, l) => toWorker.on(e, l),
      off: (e, l) => toWorker.off(e, l),
    });
    worker.onAsk('metrics', async () => [{ name: 'switchyard_requests_total' }]);
    const send = (m: AskMessage): boolean => {
      setImmediate(() => toWorker.emit('message', m));
      return true;
    };
    await expect(asks.ask(send, 'metrics', 1_000)).resolves.toEqual([{ name: 'switchyard_requests_total' }]);
    await expect(asks.ask(send, 'other', 1_000)).rejects.toThrow(/nothing answers other in this worker/);
    await expect(asks.ask(() => true, 'metrics', 20)).rejects.toThrow(/did not answer metrics within 20 ms/);
    await expect(asks.ask(() => false, 'metrics', 1_000)).rejects.toThrow(/no channel to the worker/);
    worker.close();
  });

  it('a call whose send() returns false (the channel backed up, the message still delivered) resolves with the primary\'s answer', async () => {
    // A rate-limit take the primary counts must not read as failed in the worker: it would admit the
    // request unchecked and never release the primary's reservation.
    const limits = new MemoryRateLimitState();
    const { channel } = nodeLikeChannel({ rateLimits: rateLimitHandlers(limits) });
    const client = new RpcClient(channel);
    const state = new IpcRateLimitState(client);
    const limit: LimitRef = { counter: 'per-team|m|0|a', rule: 'per-team', window: 'minute', requestLimit: 1, tokenLimit: undefined, resetAt: Date.now() + 60_000 };
    expect((await state.take([limit], 0, 1)).ok).toBe(true);
    expect((await state.take([limit], 0, 1)).ok).toBe(false);
    client.close();
  });

  it('fails a call at once once the channel is closed, with the send\'s error when it fails on the way', async () => {
    const { channel, emitted } = nodeLikeChannel({ state: stateHandlers(new MemoryStateStore(), () => undefined) });
    const client = new RpcClient(channel);
    channel.connected = false;
    await expect(client.call('state', 'get', ['k'])).rejects.toThrow(/no channel to the primary process \(state.get\)/);
    const failing = new RpcClient({ ...channel, connected: true, send: (_m, callback) => (setImmediate(() => callback(new Error('Channel closed'))), true) });
    await expect(failing.call('state', 'get', ['k'])).rejects.toThrow(/shared state unavailable: Channel closed \(state.get\)/);
    expect(emitted).toEqual([]);
    client.close();
    failing.close();
  });

  it('a worker that left while collecting an answer to an ask sends nothing: no error is raised on the process', async () => {
    const { channel, emitted, sent, toWorker } = nodeLikeChannel({});
    const client = new RpcClient(channel);
    let answer!: (value: unknown) => void;
    client.onAsk('metrics', () => new Promise((resolve) => (answer = resolve)));
    toWorker.emit('message', { sy: 'ask', id: 1, topic: 'metrics' } satisfies AskMessage);
    // shared.close() during the collect: the worker disconnects before its answer is ready.
    client.close();
    channel.connected = false;
    answer([]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sent).toEqual([]);
    expect(emitted).toEqual([]);
  });

  it('fails at once without a channel to the primary', async () => {
    const none = new EventEmitter();
    const client = new RpcClient({ on: (e, l) => none.on(e, l), off: (e, l) => none.off(e, l) });
    await expect(client.call('state', 'get', ['k'])).rejects.toThrow(/no channel to the primary/);
    client.close();
  });
});
