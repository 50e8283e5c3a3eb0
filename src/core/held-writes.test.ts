import { describe, expect, it } from 'vitest';
import { HeldWrites, unreachedError } from './held-writes.js';

/** A counter store that is up or down; `lost` fails a write that may have reached it (a cut connection). */
function store() {
  const s = { total: 0, down: false, lost: false };
  const add = (n: number) => async () => {
    if (s.down) throw unreachedError('store unreachable');
    if (s.lost) throw new Error('connection closed');
    s.total += n;
  };
  return { s, add };
}

describe('writes held while a counter store is down', () => {
  it('keeps the writes a known-down store never received and writes them once, in order, when it answers', async () => {
    const { s, add } = store();
    const errors: unknown[] = [];
    const writes = new HeldWrites((err) => errors.push(err));
    s.down = true;
    writes.write(add(1));
    writes.write(add(2));
    await new Promise((r) => setTimeout(r, 0));
    await writes.replay(); // still down: nothing written, nothing dropped
    expect(s.total).toBe(0);
    s.down = false;
    await Promise.all([writes.replay(), writes.replay()]);
    expect(s.total).toBe(3);
    expect(writes.replay()).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('tells a write whether it is replayed, so a store that lost its data meanwhile can refuse what its new counters never held', async () => {
    const { s } = store();
    const calls: boolean[] = [];
    const writes = new HeldWrites(() => undefined);
    s.down = true;
    writes.write(async (replayed) => {
      calls.push(replayed);
      if (s.down) throw unreachedError('store unreachable');
    });
    await new Promise((r) => setTimeout(r, 0));
    await writes.replay();
    s.down = false;
    await writes.replay();
    expect(calls).toEqual([false, true, true]);
  });

  it('never writes again what may have reached the store: that failure is reported instead', async () => {
    const { s, add } = store();
    const errors: unknown[] = [];
    const writes = new HeldWrites((err) => errors.push(err));
    s.lost = true;
    writes.write(add(5));
    await new Promise((r) => setTimeout(r, 0));
    s.lost = false;
    expect(writes.replay()).toBeUndefined();
    expect(s.total).toBe(0);
    expect(errors).toHaveLength(1);
  });

  it('writes a long outage\'s backlog in batches, not one round trip after another', async () => {
    let down = true;
    let inFlight = 0;
    let most = 0;
    let total = 0;
    const add = async (): Promise<void> => {
      if (down) throw unreachedError('store unreachable');
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight -= 1;
      total += 1;
    };
    const writes = new HeldWrites(() => undefined);
    for (let i = 0; i < 1_000; i += 1) writes.write(add);
    await new Promise((r) => setTimeout(r, 0));
    down = false;
    await writes.replay();
    expect(total).toBe(1_000);
    expect(most).toBeGreaterThan(100);
  });

  it('tries one write per replay while the store is still down, not a batch per admission', async () => {
    let down = true;
    let tries = 0;
    const add = async (): Promise<void> => {
      tries += 1;
      if (down) throw unreachedError('store unreachable');
    };
    const writes = new HeldWrites(() => undefined);
    for (let i = 0; i < 1_000; i += 1) writes.write(add);
    await new Promise((r) => setTimeout(r, 0));
    tries = 0;
    for (let i = 0; i < 10; i += 1) await writes.replay();
    expect(tries).toBe(10);
    down = false;
    await writes.replay();
    expect(tries).toBe(10 + 1_000);
    expect(writes.replay()).toBeUndefined();
  });

  it('holds at most its bound', async () => {
    const { s, add } = store();
    const errors: unknown[] = [];
    const writes = new HeldWrites((err) => errors.push(err), 2);
    s.down = true;
    for (let i = 0; i < 3; i += 1) writes.write(add(1));
    await new Promise((r) => setTimeout(r, 0));
    s.down = false;
    await writes.replay();
    expect([s.total, errors.length]).toEqual([2, 1]);
  });

  it('says once, not per write, that it drops writes past its bound', async () => {
    const { s, add } = store();
    const errors: unknown[] = [];
    const writes = new HeldWrites((err) => errors.push(err), 2);
    s.down = true;
    for (let i = 0; i < 50; i += 1) writes.write(add(1));
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('2 writes already held');
  });
});
