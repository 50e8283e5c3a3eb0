import { describe, expect, it } from 'vitest';
import { raceAbort } from './abort.js';

describe('raceAbort', () => {
  it('settles with the promise when the signal never aborts', async () => {
    const ac = new AbortController();
    await expect(raceAbort(Promise.resolve(7), ac.signal)).resolves.toBe(7);
    await expect(raceAbort(Promise.reject(new Error('boom')), ac.signal)).rejects.toThrow('boom');
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const ac = new AbortController();
    const reason = new Error('gone');
    ac.abort(reason);
    await expect(raceAbort(new Promise<never>(() => undefined), ac.signal)).rejects.toBe(reason);
  });

  it('rejects with the mapped reason when the signal aborts before the promise settles', async () => {
    const ac = new AbortController();
    const pending = raceAbort(new Promise<never>(() => undefined), ac.signal, () => new Error('mapped'));
    ac.abort(new Error('raw'));
    await expect(pending).rejects.toThrow('mapped');
  });

  it('stops listening once the promise settles, so a later abort changes nothing', async () => {
    const ac = new AbortController();
    let calls = 0;
    await raceAbort(Promise.resolve(1), ac.signal, () => {
      calls += 1;
      return new Error('late');
    });
    ac.abort();
    expect(calls).toBe(0);
  });
});
