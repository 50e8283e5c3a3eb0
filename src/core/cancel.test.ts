import { afterEach, describe, expect, it, vi } from 'vitest';
import { raceAbort } from './abort.js';
import { Canceller, NEVER_CANCELLED, toAbortSignal, type CancelSignal } from './cancel.js';

interface Control {
  signal: CancelSignal;
  abort(reason?: unknown): void;
}

// Every behaviour below holds for Node's AbortController too: Canceller is a drop-in for it.
const kinds: [string, () => Control][] = [
  ['Canceller', () => new Canceller()],
  ['AbortController', () => new AbortController()],
];

describe.each(kinds)('%s', (_name, make) => {
  it('is not aborted and has no reason until aborted', () => {
    const c = make();
    expect(c.signal.aborted).toBe(false);
    expect(c.signal.reason).toBeUndefined();
  });

  it('runs each listener once, in the order added, with the reason already set', () => {
    const c = make();
    const seen: string[] = [];
    c.signal.addEventListener('abort', () => seen.push(`a:${String(c.signal.reason)}`), { once: true });
    c.signal.addEventListener('abort', () => seen.push(`b:${String(c.signal.aborted)}`));
    c.abort('why');
    c.abort('again');
    expect(seen).toEqual(['a:why', 'b:true']);
  });

  it('keeps the first reason: a second abort changes nothing', () => {
    const c = make();
    const first = new Error('first');
    c.abort(first);
    c.abort(new Error('second'));
    expect(c.signal.reason).toBe(first);
  });

  it('gives an AbortError DOMException as the reason when aborted without one', () => {
    const c = make();
    c.abort();
    expect(c.signal.reason).toBeInstanceOf(DOMException);
    expect((c.signal.reason as DOMException).name).toBe('AbortError');
  });

  it('does not run a removed listener, and removing an unknown one is harmless', () => {
    const c = make();
    const listener = vi.fn();
    c.signal.addEventListener('abort', listener);
    c.signal.removeEventListener('abort', listener);
    c.signal.removeEventListener('abort', () => undefined);
    c.abort();
    expect(listener).not.toHaveBeenCalled();
  });

  it('adds the same listener only once', () => {
    const c = make();
    const listener = vi.fn();
    c.signal.addEventListener('abort', listener, { once: true });
    c.signal.addEventListener('abort', listener, { once: true });
    c.abort();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('never runs a listener added after the abort', () => {
    const c = make();
    c.abort();
    const listener = vi.fn();
    c.signal.addEventListener('abort', listener);
    expect(listener).not.toHaveBeenCalled();
  });

  it('does not run a listener that an earlier one removed during the abort', () => {
    const c = make();
    const later = vi.fn();
    c.signal.addEventListener('abort', () => c.signal.removeEventListener('abort', later));
    c.signal.addEventListener('abort', later);
    c.abort();
    expect(later).not.toHaveBeenCalled();
  });
});

describe('Canceller', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs the other listeners when one throws, and rethrows its error outside abort', () => {
    const queued: (() => void)[] = [];
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => void queued.push(fn));
    const c = new Canceller();
    const after = vi.fn();
    c.addEventListener('abort', () => {
      throw new Error('listener bug');
    });
    c.addEventListener('abort', after);
    expect(() => c.abort()).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    expect(queued).toHaveLength(1);
    expect(() => queued[0]?.()).toThrow('listener bug');
  });

  it('hands out itself as its signal', () => {
    const c = new Canceller();
    expect(c.signal).toBe(c);
  });
});

describe('CancelSignal', () => {
  it('accepts a real AbortSignal where a CancelSignal is expected', async () => {
    const ac = new AbortController();
    const signal: CancelSignal = ac.signal;
    const pending = raceAbort(new Promise<never>(() => undefined), signal);
    ac.abort(new Error('gone'));
    await expect(pending).rejects.toThrow('gone');
  });
});

describe('toAbortSignal', () => {
  it('returns a real AbortSignal as it is', () => {
    const signal = new AbortController().signal;
    expect(toAbortSignal(signal)).toBe(signal);
  });

  it('gives a real AbortSignal that aborts with the Canceller, with its reason', () => {
    const c = new Canceller();
    const signal = toAbortSignal(c);
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
    c.abort('bye');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('bye');
  });

  it('gives an aborted AbortSignal for an aborted Canceller', () => {
    const c = new Canceller();
    c.abort('early');
    const signal = toAbortSignal(c);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('early');
  });
});

describe('the signal of a request that gives none', () => {
  it('never aborts, and cannot be made to', () => {
    NEVER_CANCELLED.addEventListener('abort', () => undefined);
    expect([NEVER_CANCELLED.aborted, NEVER_CANCELLED.reason]).toEqual([false, undefined]);
    expect(() => {
      (NEVER_CANCELLED as { aborted: boolean }).aborted = true;
    }).toThrow(TypeError);
  });
});
