import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../core/logger.js';
import { RpcClient, type Channel } from './rpc.js';
import { answerPings, PING_EVERY_MS, PING_TOPIC, UNANSWERED_KILL_MS, Watchdog } from './watchdog.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * A worker as the watchdog reaches it: it answers each ping 1 ms after its event loop is free again
 * (`blockedUntil`), never once `hung`; `stall(ms)` holds its loop for that long from now.
 */
class FakeWorker {
  pings = 0;
  hung = false;
  private blockedUntil = 0;
  constructor(
    readonly id: number,
    readonly pid: number,
  ) {}

  stall(ms: number): void {
    this.blockedUntil = Date.now() + ms;
  }

  ping(timeoutMs: number): Promise<unknown> {
    this.pings += 1;
    return new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error(`the worker did not answer ping within ${timeoutMs} ms`)), timeoutMs);
      if (this.hung) return;
      setTimeout(() => resolve(null), Math.max(0, this.blockedUntil - Date.now()) + 1);
    });
  }
}

/** A watchdog over `workers`, and what it killed and logged (each kill with the time it happened). */
function watching(...workers: FakeWorker[]) {
  const killed: Array<{ id: number; at: number }> = [];
  const errors: Array<{ obj: object; msg: string | undefined }> = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (obj, msg) => void errors.push({ obj, msg }), child: () => logger };
  const byId = (id: number): FakeWorker => workers.find((w) => w.id === id) as FakeWorker;
  const watchdog = new Watchdog({ logger, ping: (id, timeoutMs) => byId(id).ping(timeoutMs), kill: (id) => void killed.push({ id, at: Date.now() }) });
  return { watchdog, killed, errors };
}

describe('the watchdog of the primary over its listening workers', () => {
  it('pings every 5 s and leaves alone a worker that answers, for as long as it answers', async () => {
    const worker = new FakeWorker(1, 101);
    const { watchdog, killed } = watching(worker);
    watchdog.watch(1, 101);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(worker.pings).toBe((10 * 60_000) / PING_EVERY_MS);
    expect(killed).toEqual([]);
  });

  it('kills a worker that left a ping unanswered for 30 s (30-35 s after it hung), logging its id, pid and how long', async () => {
    const worker = new FakeWorker(1, 101);
    const { watchdog, killed, errors } = watching(worker);
    watchdog.watch(1, 101);
    await vi.advanceTimersByTimeAsync(12_000);
    worker.hung = true; // at 12 s: the ping at 15 s is the first it leaves unanswered
    await vi.advanceTimersByTimeAsync(60_000);
    expect(killed).toEqual([{ id: 1, at: 15_000 + UNANSWERED_KILL_MS }]);
    expect(errors).toEqual([{ obj: { worker: 1, pid: 101, unansweredMs: UNANSWERED_KILL_MS, killAfterMs: UNANSWERED_KILL_MS }, msg: expect.stringContaining('SIGKILL') }]);
  });

  it('kills only the hung worker, once, and keeps watching the others', async () => {
    const [healthy, hung] = [new FakeWorker(1, 101), new FakeWorker(2, 102)];
    const { watchdog, killed } = watching(healthy, hung);
    watchdog.watch(1, 101);
    watchdog.watch(2, 102);
    hung.hung = true;
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(killed.map((k) => k.id)).toEqual([2]);
    expect(hung.pings).toBe(1); // one ping at a time: a stopped worker's channel does not fill with them
    expect(healthy.pings).toBe((5 * 60_000) / PING_EVERY_MS);
  });

  it('spares a loyal worker whose loop stalls: a GC pause, a 1 s SQLite checkpoint every ping, even one 25 s hold', async () => {
    const worker = new FakeWorker(1, 101);
    const { watchdog, killed } = watching(worker);
    watchdog.watch(1, 101);
    for (let i = 0; i < 24; i += 1) {
      worker.stall(1_000);
      await vi.advanceTimersByTimeAsync(PING_EVERY_MS);
    }
    worker.stall(25_000);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(killed).toEqual([]);
  });

  it('pings no worker the primary was not told listens: one still starting may hold its loop building its app', async () => {
    const starting = new FakeWorker(1, 101);
    const { killed } = watching(starting);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(starting.pings).toBe(0);
    expect(killed).toEqual([]);
  });

  it('once stopped (the workers drain), pings and kills none, nor a worker that starts listening after', async () => {
    const [draining, late] = [new FakeWorker(1, 101), new FakeWorker(2, 102)];
    const { watchdog, killed } = watching(draining, late);
    watchdog.watch(1, 101);
    await vi.advanceTimersByTimeAsync(PING_EVERY_MS);
    draining.hung = true;
    watchdog.stop();
    watchdog.watch(2, 102);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect([draining.pings, late.pings]).toEqual([1, 0]);
    expect(killed).toEqual([]);
  });

  it('forgets a worker that exited or left the cluster: it is never killed after', async () => {
    const worker = new FakeWorker(1, 101);
    const { watchdog, killed } = watching(worker);
    watchdog.watch(1, 101);
    worker.hung = true;
    await vi.advanceTimersByTimeAsync(20_000);
    watchdog.forget(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(killed).toEqual([]);
  });

  it('does not hold against a worker a time the primary itself stood still, its next tick coming before the answer is read', async () => {
    const worker = new FakeWorker(1, 101);
    const { watchdog, killed } = watching(worker);
    watchdog.watch(1, 101);
    worker.stall(2 * PING_EVERY_MS + 500); // the ping at 5 s is read back just after the tick at 10 s
    await vi.advanceTimersByTimeAsync(PING_EVERY_MS + 10);
    // The clock moves 40 s on while no timer of the primary runs.
    vi.setSystemTime(Date.now() + 40_000);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(killed).toEqual([]);
  });
});

describe("a worker's answer to the primary's ping", () => {
  it('is told back at once from its event loop, with nothing to compute', async () => {
    const sent: unknown[] = [];
    let deliver: (m: unknown) => void = () => {};
    const channel: Channel = {
      connected: true,
      send: (m) => (sent.push(m), true),
      on: (_event, listener) => (deliver = listener),
      off: () => undefined,
    };
    const rpc = new RpcClient(channel);
    answerPings(rpc);
    deliver({ sy: 'ask', id: 7, topic: PING_TOPIC });
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([{ sy: 'tell', id: 7, value: null }]);
    rpc.close();
  });
});
