import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../core/events.js';
import { PriceBook } from '../ledger/pricing/price-book.js';
import { measure, type RequestSample } from './measure.js';
import { DrillRecorder } from './record.js';
import type { FaultWindow } from './scenario.js';

const window: FaultWindow = { fromMs: 1_000, toMs: 3_000, effect: { status: 503 } };
const targets = ['primary'];

/** One upstream attempt of request `id` (times in ms from the start of the run, t0 = 0). */
const attempt = (id: string, deployment: string, startedAt: number, outcome: 'ok' | 'error'): AttemptRecord => ({
  requestId: id,
  attempt: 1,
  operation: 'chat',
  role: deployment === 'primary' ? 'primary' : 'fallback',
  group: 'chat',
  deployment,
  provider: 'openai-compatible',
  model: 'gpt-4o-mini',
  region: undefined,
  cause: undefined,
  fallbackFrom: undefined,
  startedAt,
  latencyMs: 5,
  ttftMs: undefined,
  usage: undefined,
  usageEstimated: false,
  outcome,
  error: undefined,
  tags: {},
});

/** A request every 100 ms for 4 s; `serve` says which attempts each made and who answered. */
function recorded(serve: (startMs: number) => { tried: string[]; answeredBy: string | undefined }): { requests: RequestSample[]; firstFailureMs: number | undefined } {
  const recorder = new DrillRecorder(PriceBook.fromConfig(undefined, []), targets, window.fromMs);
  recorder.start(0);
  const raw = Array.from({ length: 40 }, (_, i) => {
    const startMs = i * 100;
    const { tried, answeredBy } = serve(startMs);
    for (const d of tried) recorder.onAttempt(attempt(`r${i}`, d, startMs, d === answeredBy ? 'ok' : 'error'));
    return { id: `r${i}`, startMs, endMs: startMs + 10, ok: answeredBy !== undefined, errorKind: answeredBy === undefined ? 'unavailable' : undefined, deployment: answeredBy };
  });
  return { requests: raw.map(({ id, ...r }) => ({ ...r, ...recorder.tally(id) })), firstFailureMs: recorder.firstFailureMs };
}

const inFault = (ms: number): boolean => ms >= window.fromMs && ms < window.toMs;

describe('drill measurements', () => {
  it('counts failover complete once requests are answered by the standby, though half-open probes of the primary failed on the way', () => {
    const { requests, firstFailureMs } = recorded((ms) => {
      if (!inFault(ms)) return { tried: ['primary'], answeredBy: 'primary' };
      if (ms < 1_300) return { tried: ['primary'], answeredBy: undefined };
      // The breaker lets a probe through every 500 ms; it fails and the request falls back.
      return ms % 500 === 0 ? { tried: ['primary', 'standby'], answeredBy: 'standby' } : { tried: ['standby'], answeredBy: 'standby' };
    });
    const m = measure({ requests, breakers: [], windows: [window], targets, firstFailureMs });
    expect(m.timeToFullFailoverMs).toBe(300);
    expect(m.failedOver).toBe(true);
    expect(m.failbackMs).toBe(10);
  });

  it('reports no failover and no failback when traffic never left the primary (a blackhole without a breaker opening)', () => {
    const { requests, firstFailureMs } = recorded((ms) => (inFault(ms) ? { tried: ['primary'], answeredBy: undefined } : { tried: ['primary'], answeredBy: 'primary' }));
    const m = measure({ requests, breakers: [], windows: [window], targets, firstFailureMs });
    expect(m.failbackMs).toBeUndefined();
    expect(m.failedOver).toBe(false);
    expect(m.flapped).toBe(false);
    expect(m.timeToFullFailoverMs).toBeUndefined();
  });

  it('times no failover when the targets never failed: answers elsewhere are ordinary routing, not a recovery to pass --max-rto', () => {
    const { requests, firstFailureMs } = recorded(() => ({ tried: ['standby'], answeredBy: 'standby' }));
    const m = measure({ requests, breakers: [], windows: [window], targets, firstFailureMs });
    expect(m.failedOver).toBe(false);
    expect(m.timeToFullFailoverMs).toBeUndefined();
  });
});
