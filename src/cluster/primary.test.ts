import { describe, expect, it } from 'vitest';
import { CANNOT_START_EXIT } from './port.js';
import type { Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { restartPolicy, tell } from './primary.js';

describe("the primary's answer to a worker that crashed", () => {
  it('restarts it up to the most restarts a window allows, then gives up', () => {
    let now = 0;
    const afterCrash = restartPolicy(2, 60_000, () => now);
    expect(afterCrash(1)).toBe('restart');
    now = 10_000;
    expect(afterCrash(null)).toBe('restart');
    now = 20_000;
    expect(afterCrash(1)).toBe('give up');
  });

  it('counts only the restarts of the last window', () => {
    let now = 0;
    const afterCrash = restartPolicy(2, 60_000, () => now);
    afterCrash(1);
    afterCrash(1);
    now = 60_001;
    expect(afterCrash(1)).toBe('restart');
  });

  it('never restarts one that cannot listen: it would fail the same way', () => {
    const afterCrash = restartPolicy(5, 60_000, () => 0);
    expect(afterCrash(CANNOT_START_EXIT)).toBe('cannot start');
  });
});

describe("the primary's messages to a worker that is going away", () => {
  it('drop a send that fails after the channel closed (EPIPE), rather than raise an error event no one handles', async () => {
    // As node's ChildProcess.send: a failed send goes to the callback if there is one, else to an 'error' event.
    const worker = Object.assign(new EventEmitter(), {
      isConnected: () => true,
      send(_message: unknown, callback?: (err: Error | null) => void): boolean {
        const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
        if (callback) process.nextTick(callback, epipe);
        else process.nextTick(() => worker.emit('error', epipe));
        return false;
      },
    });
    const errors: unknown[] = [];
    worker.on('error', (err) => errors.push(err));
    tell(worker as unknown as Worker, { sy: 'push', topic: 'x', data: null });
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual([]);
  });
});
