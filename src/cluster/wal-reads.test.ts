import { describe, expect, it } from 'vitest';
import { answer } from './rpc.js';
import { clusterWalReads, WAL_READS_TARGET, WalReadCounts, walReadHandlers } from './wal-reads.js';

const LEDGER = '/var/lib/switchyard/ledger.sqlite';

/** A primary holding `counts`, and each worker's gates on it, calling through the primary's own `answer`. */
function cluster() {
  const counts = new WalReadCounts();
  const targets = { [WAL_READS_TARGET]: walReadHandlers(counts) };
  let id = 0;
  const worker = (workerId: number) =>
    clusterWalReads(async (method, args) => {
      const reply = await answer(targets, { sy: 'call', id: ++id, target: WAL_READS_TARGET, method, args }, 1);
      if (reply.error !== undefined) throw new Error(reply.error);
      return reply.value;
    }, workerId);
  return { counts, worker };
}

/** Lets the calls told without waiting reach the primary. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the workers\' SQLite ledger reads, counted by the primary', () => {
  it('shows a gate the reads other workers ran since its last look, never its own', async () => {
    const { worker } = cluster();
    const a = worker(1)(LEDGER);
    const b = worker(2)(LEDGER);
    // Before a first look nothing says what ran meanwhile.
    expect(await a.look()).toEqual({ othersRead: true, ungatedUntil: undefined });
    expect((await a.look()).othersRead).toBe(false);
    a.readStarted();
    await settle();
    expect((await a.look()).othersRead).toBe(false);
    b.readStarted();
    await settle();
    expect((await a.look()).othersRead).toBe(true);
    b.readEnded();
    await settle();
    // It ended, but it was running at the last look: it may have held the checkpoint asked since.
    expect((await a.look()).othersRead).toBe(true);
    expect((await a.look()).othersRead).toBe(false);
    // A read begun and ended between two looks ran all the same.
    b.readStarted();
    b.readEnded();
    await settle();
    expect((await a.look()).othersRead).toBe(true);
  });

  it('keeps files apart, and counts a reloaded app\'s gate in the same worker as another reader', async () => {
    const { worker } = cluster();
    const one = worker(1);
    const a = one(LEDGER);
    const other = worker(2)('/elsewhere/ledger.sqlite');
    const reloaded = one(LEDGER);
    await a.look();
    other.readStarted();
    await settle();
    expect((await a.look()).othersRead).toBe(false);
    reloaded.readStarted();
    await settle();
    expect((await a.look()).othersRead).toBe(true);
  });

  it('forgets the running reads of a worker that exited mid-read, and of a gate that closed, so none stays counted', async () => {
    const { counts, worker } = cluster();
    const a = worker(1)(LEDGER);
    const dying = worker(2)(LEDGER);
    const reloaded = worker(3)(LEDGER);
    dying.readStarted();
    reloaded.readStarted();
    await settle();
    await a.look();
    counts.forget(2);
    reloaded.close();
    await settle();
    expect(counts.look(1, 1, LEDGER)).toEqual({ running: 0, started: 2, ungatedUntil: undefined });
    expect((await a.look()).othersRead).toBe(true);
    expect((await a.look()).othersRead).toBe(false);
  });

  it('shares the latest recheck time a gate that found an outsider told, for the others to follow', async () => {
    const { worker } = cluster();
    const a = worker(1)(LEDGER);
    const b = worker(2)(LEDGER);
    a.ungated(5_000);
    b.ungated(4_000);
    await settle();
    expect((await b.look()).ungatedUntil).toBe(5_000);
  });

  it('refuses a call that does not name a worker, a gate and a file', async () => {
    const reply = await answer({ [WAL_READS_TARGET]: walReadHandlers(new WalReadCounts()) }, { sy: 'call', id: 1, target: WAL_READS_TARGET, method: 'started', args: ['1', 1] }, 1);
    expect(reply.error).toBe('walReads takes a worker id, a gate number and a path');
  });
});
