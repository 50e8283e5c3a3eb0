import { afterEach, describe, expect, it } from 'vitest';
import { drainGraceMs, SighupReloads } from './lifecycle.js';

describe('drain grace on an interruption notice', () => {
  it('keeps the configured grace when the deadline is far', () => {
    expect(drainGraceMs({ cloud: 'aws', kind: 'terminate', deadline: 120_000 }, 10_000, 0)).toBe(10_000);
  });
  it('ends the drain five seconds before a near deadline, never below zero', () => {
    expect(drainGraceMs({ cloud: 'gcp', kind: 'preempt', deadline: 12_000 }, 30_000, 0)).toBe(7_000);
    expect(drainGraceMs({ cloud: 'gcp', kind: 'preempt', deadline: 3_000 }, 30_000, 0)).toBe(0);
  });
  it('keeps the configured grace when the cloud gave no deadline', () => {
    expect(drainGraceMs({ cloud: 'aws', kind: 'terminate', deadline: undefined }, 10_000, 0)).toBe(10_000);
  });
});

describe("serve's SIGHUP listener", () => {
  const listeners: SighupReloads[] = [];
  afterEach(() => listeners.splice(0).forEach((l) => l.close()));
  /** A listener, what it noted, and the reloads it ran once serving. */
  function listen(): { sighup: SighupReloads; notes: string[]; reloads: number[] } {
    const notes: string[] = [];
    const sighup = new SighupReloads((m) => notes.push(m));
    listeners.push(sighup);
    return { sighup, notes, reloads: [] };
  }

  it('ignores a SIGHUP while starting, saying so, rather than leaving it to end the process', () => {
    const { notes } = listen();
    process.emit('SIGHUP', 'SIGHUP');
    expect(notes).toEqual(['reload ignored: starting']);
  });

  it('reloads on each SIGHUP while serving, and ignores them once shutting down', () => {
    const { sighup, notes, reloads } = listen();
    sighup.serve(async () => void reloads.push(1));
    process.emit('SIGHUP', 'SIGHUP');
    sighup.shutDown();
    process.emit('SIGHUP', 'SIGHUP');
    expect(reloads).toHaveLength(1);
    expect(notes).toEqual(['reloading the config', 'reload ignored: shutting down']);
    expect(process.listenerCount('SIGHUP')).toBeGreaterThan(0);
  });

  it('runs a reload the primary relays only while serving, refusing it while starting or shutting down as a SIGHUP is', async () => {
    const { sighup } = listen();
    const reload = async (): Promise<string> => 'reloaded';
    await expect(sighup.whileServing(reload)).rejects.toThrow('reload ignored: starting');
    sighup.serve(reload);
    await expect(sighup.whileServing(reload)).resolves.toBe('reloaded');
    sighup.shutDown();
    await expect(sighup.whileServing(reload)).rejects.toThrow('reload ignored: shutting down');
  });
});
