import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ReservedPart } from '../core/held-writes.js';
import { IpcBudgetState } from '../ledger/budgets/ipc-state.js';
import { MemoryBudgetState, type CounterRef } from '../ledger/budgets/state.js';
import type { LimitRef } from '../limits/counters.js';
import { IpcRateLimitState } from '../limits/ipc-state.js';
import { MemoryRateLimitState } from '../limits/state.js';
import { WorkerHoldings } from './holdings.js';
import { sharedCounters } from './primary.js';
import { answer, isCall, RpcClient, type Channel } from './rpc.js';

const DAY: CounterRef = { counter: 'daily|2026-12-05|*', budget: 'daily', value: '*', hardUsd: 0.01, periodStart: 0, expiresAt: Number.MAX_SAFE_INTEGER };
const MINUTE: LimitRef = { counter: 'rpm|m|0|*', rule: 'rpm', window: 'minute', requestLimit: 100, tokenLimit: 10_000, resetAt: Number.MAX_SAFE_INTEGER };
/** What the repro's requests reserve: max_tokens 4000 at its price. */
const RESERVATION = 0.0024;

/** The primary's shared counters, and workers calling them over an in-process channel, each with its own id as cluster IPC gives it. */
function group() {
  const budgets = new MemoryBudgetState();
  const limits = new MemoryRateLimitState();
  const counters = sharedCounters(budgets, limits);
  let callId = 0;
  const worker = (id: number) => {
    const toWorker = new EventEmitter();
    const channel: Channel = {
      send(message) {
        // Re-numbered: each worker's client counts its call ids from 1.
        if (isCall(message)) void answer(counters.targets, { ...message, id: ++callId }, id).then((reply) => toWorker.emit('message', { ...reply, id: message.id }));
        return true;
      },
      on: (event, l) => toWorker.on(event, l),
      off: (event, l) => toWorker.off(event, l),
    };
    const rpc = new RpcClient(channel);
    return { budget: new IpcBudgetState(rpc), limit: new IpcRateLimitState(rpc), close: () => rpc.close() };
  };
  return { budgets, limits, counters, worker };
}

async function reserve(state: IpcBudgetState): Promise<ReservedPart | undefined> {
  const r = await state.reserve([DAY], RESERVATION);
  return r.ok ? { amount: RESERVATION, since: r.since } : undefined;
}

describe('a worker that exits with reservations held in the primary', () => {
  it('has its budget reservations released, its settled spend kept', async () => {
    const { budgets, counters, worker } = group();
    const killed = worker(1);
    const other = worker(2);
    const held = await Promise.all([reserve(killed.budget), reserve(killed.budget), reserve(killed.budget), reserve(other.budget)]);
    expect(held.every((r) => r !== undefined)).toBe(true);
    // One of the killed worker's requests had an attempt booked before the kill.
    await killed.budget.settle([DAY], 0.001, { amount: 0.001, since: (held[0] as ReservedPart).since });
    counters.workerExited(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(budgets.peek(DAY.counter)?.spent).toBeCloseTo(0.001, 12);
    expect(budgets.peek(DAY.counter)?.reserved).toBeCloseTo(RESERVATION, 12);
    // The other worker's request ends unused; the restarted worker's four requests all fit again.
    await other.budget.release([DAY], held[3] as ReservedPart);
    const restarted = worker(3);
    const after = await Promise.all([reserve(restarted.budget), reserve(restarted.budget), reserve(restarted.budget), reserve(restarted.budget)]);
    expect(after.map((r) => r !== undefined)).toEqual([true, true, true, true]);
    [killed, other, restarted].forEach((w) => w.close());
  });

  it('has its reserved tokens released, its requests still counted', async () => {
    const { counters, worker } = group();
    const killed = worker(1);
    const other = worker(2);
    const taken = await killed.limit.take([MINUTE], 3_000);
    expect(taken.ok).toBe(true);
    expect((await other.limit.take([MINUTE], 2_000)).ok).toBe(true);
    if (taken.ok) await killed.limit.settle([MINUTE], 500, { amount: 500, since: taken.since });
    counters.workerExited(1);
    await new Promise((resolve) => setImmediate(resolve));
    // 500 used by the killed worker, 2,000 still reserved by the other; both requests counted.
    expect(await other.limit.take([MINUTE], 0, 0)).toMatchObject({ ok: true, figures: [{ requests: 2, tokens: 2_500 }] });
    [killed, other].forEach((w) => w.close());
  });

  it('takes nothing back twice for the calls it sent before dying that are read after its exit', async () => {
    const { budgets, counters, worker } = group();
    const killed = worker(1);
    const other = worker(2);
    const mine = (await reserve(killed.budget)) as ReservedPart;
    const theirs = await reserve(other.budget);
    expect(theirs).toBeDefined();
    counters.workerExited(1);
    // Its settlement books the spend without taking its (released) reservation again, and its release is moot.
    await killed.budget.settle([DAY], 0.002, { amount: 0.002, since: mine.since });
    await killed.budget.release([DAY], { amount: RESERVATION - 0.002, since: mine.since });
    expect(budgets.peek(DAY.counter)?.spent).toBeCloseTo(0.002, 12);
    expect(budgets.peek(DAY.counter)?.reserved).toBeCloseTo(RESERVATION, 12);
    // A reservation read after the exit is given back at once: nothing will settle it.
    expect(await reserve(killed.budget)).toBeDefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(budgets.peek(DAY.counter)?.reserved).toBeCloseTo(RESERVATION, 12);
    [killed, other].forEach((w) => w.close());
  });
});

describe("the primary's record of what a worker's reservations hold", () => {
  it('forgets a counter once its reservations are settled and released, float residue included', async () => {
    const released: number[] = [];
    const held = new WorkerHoldings<CounterRef>(async (_refs, part) => void released.push(part.amount));
    await held.hold(1, [DAY], 0.0024, [7]);
    await held.hold(1, [DAY], 0.0017, [7]);
    for (const amount of [0.0011, 0.0013, 0.0003, 0.0014]) held.consume(1, [DAY], { amount, since: [7] });
    expect(held.heldBy(1, DAY.counter)).toBe(0);
    await held.exited(1);
    expect(released).toEqual([]);
  });

  it('keeps each incarnation of a counter apart, as the states do', async () => {
    const released: Array<{ amount: number; since: readonly number[] }> = [];
    const held = new WorkerHoldings<CounterRef>(async (_refs, part) => void released.push(part));
    await held.hold(1, [DAY], 5, [7]);
    // A part naming another incarnation holds nothing of this one.
    held.consume(1, [DAY], { amount: 5, since: [8] });
    await held.exited(1);
    expect(released).toEqual([{ amount: 5, since: [7] }]);
  });
});
