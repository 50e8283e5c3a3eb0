import { afterEach, describe, expect, it, vi } from 'vitest';
import { EARLY_SIGNALS, StopSignals, takeEarlySignals, type StopSignal } from './signals.js';

const opened: StopSignals[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  Reflect.deleteProperty(globalThis, EARLY_SIGNALS);
});

/** StopSignals whose listener records what it was told. */
function listening(): { stops: StopSignals; told: Array<[StopSignal, boolean]> } {
  const stops = new StopSignals();
  opened.push(stops);
  const told: Array<[StopSignal, boolean]> = [];
  stops.listen((signal, now) => told.push([signal, now]));
  return { stops, told };
}

describe("serve's SIGTERM and SIGINT listener", () => {
  it('tells every stop signal, a drain\'s second SIGTERM included; only a second SIGINT asks to stop now', () => {
    const { told } = listening();
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    expect(told).toEqual([
      ['SIGTERM', false],
      ['SIGTERM', false],
      ['SIGINT', false],
      ['SIGINT', true],
      ['SIGINT', true],
    ]);
  });

  it('stays on from construction to close, so Node never takes its default action (the end of the process) meanwhile', () => {
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
    const stops = new StopSignals();
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    stops.close();
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    expect(process.listenerCount('SIGINT')).toBe(before.int);
  });

  it('tells a new listener at once of the first signal heard before it (a stop while starting drains once serving)', () => {
    const stops = new StopSignals();
    opened.push(stops);
    const starting = vi.fn();
    stops.listen(starting);
    stops.hear('SIGTERM');
    stops.hear('SIGINT');
    expect(starting.mock.calls).toEqual([
      ['SIGTERM', false],
      ['SIGINT', false],
    ]);
    const serving = vi.fn();
    stops.listen(serving);
    expect(serving.mock.calls).toEqual([['SIGTERM', false]]);
    expect(stops.first).toBe('SIGTERM');
  });

  it('counts a SIGINT bin/switchyard.js heard: the next one asks to stop now', () => {
    const { stops, told } = listening();
    stops.hear('SIGINT');
    process.emit('SIGINT', 'SIGINT');
    expect(told).toEqual([
      ['SIGINT', false],
      ['SIGINT', true],
    ]);
  });

  it('asks to stop now when told to by the primary (a second SIGINT relayed to a worker)', () => {
    const { stops, told } = listening();
    stops.stopNow();
    expect(told).toEqual([['SIGINT', true]]);
  });
});

describe('taking the signals over from bin/switchyard.js', () => {
  it('removes its listeners and returns what it heard, in order, once', () => {
    const release = vi.fn();
    Reflect.set(globalThis, EARLY_SIGNALS, { heard: ['SIGHUP', 'SIGTERM'], release });
    expect(takeEarlySignals()).toEqual(['SIGHUP', 'SIGTERM']);
    expect(release).toHaveBeenCalledOnce();
    expect(takeEarlySignals()).toEqual([]);
    expect(release).toHaveBeenCalledOnce();
  });

  it('finds none when the CLI was started another way', () => {
    expect(takeEarlySignals()).toEqual([]);
  });

  it('ignores what bin/switchyard.js did not leave (another value under the key)', () => {
    Reflect.set(globalThis, EARLY_SIGNALS, { heard: 'SIGTERM' });
    expect(takeEarlySignals()).toEqual([]);
  });
});
