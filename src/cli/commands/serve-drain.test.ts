import { describe, expect, it } from 'vitest';
import { Drain } from './serve-drain.js';

/** A drain on a fake clock whose shutdowns are recorded and ended by the test. */
function drainAt(start = 1_000) {
  let now = start;
  const shutdowns: Array<{ graceMs: number; end: () => void }> = [];
  const drain = new Drain(
    (graceMs) => new Promise<void>((resolve) => shutdowns.push({ graceMs, end: resolve })),
    () => now,
  );
  return { drain, shutdowns, advance: (ms: number) => void (now += ms) };
}

/** Whether `p` has settled once pending callbacks have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe("serve's one drain, which every stop request joins", () => {
  it('starts on the first request with its grace', () => {
    const { drain, shutdowns } = drainAt();
    expect(drain.started).toBe(false);
    void drain.request(3_000);
    expect(drain.started).toBe(true);
    expect(shutdowns.map((s) => s.graceMs)).toEqual([3_000]);
    expect(drain.endsInMs()).toBe(3_000);
  });

  it("keeps the earlier deadline when a later request would end later: a SIGTERM's full grace does not outlast a notice's deadline", async () => {
    const { drain, shutdowns, advance } = drainAt();
    const notice = drain.request(3_000);
    advance(500);
    const sigterm = drain.request(20_000);
    expect(shutdowns.map((s) => s.graceMs)).toEqual([3_000]);
    expect(drain.endsInMs()).toBe(2_500);
    shutdowns[0]?.end();
    expect(await settled(notice)).toBe(true);
    expect(await settled(sigterm)).toBe(true);
  });

  it('shortens the drain to a request that leaves less time, and is done once both shutdowns have ended', async () => {
    const { drain, shutdowns, advance } = drainAt();
    const sigterm = drain.request(20_000);
    advance(1_000);
    const notice = drain.request(3_000);
    expect(shutdowns.map((s) => s.graceMs)).toEqual([20_000, 3_000]);
    expect(drain.endsInMs()).toBe(3_000);
    shutdowns[1]?.end();
    expect(await settled(notice)).toBe(false);
    shutdowns[0]?.end();
    expect(await settled(sigterm)).toBe(true);
    expect(await settled(notice)).toBe(true);
  });

  it('waits in done() for a shutdown started while it waited (a second SIGINT cutting the drain)', async () => {
    const { drain, shutdowns } = drainAt();
    void drain.request(20_000);
    const done = drain.done();
    void drain.request(0);
    shutdowns[0]?.end();
    expect(await settled(done)).toBe(false);
    shutdowns[1]?.end();
    expect(await settled(done)).toBe(true);
  });

  it("fails as the server's shutdown fails", async () => {
    const drain = new Drain(async () => {
      throw new Error('the ledger could not be flushed');
    });
    await expect(drain.request(1_000)).rejects.toThrow('the ledger could not be flushed');
    await expect(drain.done()).rejects.toThrow('the ledger could not be flushed');
  });
});
