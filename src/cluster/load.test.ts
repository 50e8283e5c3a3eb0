import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeploymentLoad, LoadReport } from '../routing/load.js';
import { LoadRelay, LoadReporter } from './load.js';

const load = (over: Partial<DeploymentLoad>): DeploymentLoad => ({ requests: 0, tokens: 0, provisionedRequests: 0, inFlight: 0, quotaFreesAt: 0, ...over });

afterEach(() => {
  vi.useRealTimers();
});

describe('relaying the workers’ use of quotas and provisioned capacity', () => {
  it("gives each worker the sum of the others' use, the earliest freeing, and drops a worker that exited", () => {
    const relay = new LoadRelay({ workers: () => [], push: () => undefined });
    relay.report(1, { a: load({ requests: 2, tokens: 100, quotaFreesAt: 5_000 }), p: load({ provisionedRequests: 3, inFlight: 1 }) });
    relay.report(2, { a: load({ requests: 3, tokens: 50, quotaFreesAt: 4_000 }) });
    expect(relay.report(3, { a: load({ requests: 7, quotaFreesAt: 1_000 }) })).toEqual({
      a: load({ requests: 5, tokens: 150, quotaFreesAt: 4_000 }),
      p: load({ provisionedRequests: 3, inFlight: 1 }),
    });
    expect(relay.othersOf(1)).toEqual({ a: load({ requests: 10, tokens: 50, quotaFreesAt: 1_000 }) });
    relay.forget(3);
    expect(relay.othersOf(1)).toEqual({ a: load({ requests: 3, tokens: 50, quotaFreesAt: 4_000 }) });
    relay.close();
  });

  it('pushes the new sums once for reports arriving together, to every worker but one whose own use alone changed', () => {
    vi.useFakeTimers();
    const pushed: Array<[number, LoadReport]> = [];
    const relay = new LoadRelay({ workers: () => [1, 2, 3], push: (w, others) => pushed.push([w, others]), pushDelayMs: 50 });
    relay.report(1, { a: load({ requests: 1 }) });
    relay.report(2, { a: load({ requests: 2 }) });
    expect(pushed).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(pushed).toEqual([
      [1, { a: load({ requests: 2 }) }],
      [2, { a: load({ requests: 1 }) }],
      [3, { a: load({ requests: 3 }) }],
    ]);
    pushed.length = 0;
    relay.report(1, {});
    vi.advanceTimersByTime(50);
    expect(pushed).toEqual([
      [2, {}],
      [3, { a: load({ requests: 2 }) }],
    ]);
    pushed.length = 0;
    // An exited worker's use leaves the sums of those that remain (the primary lists only those).
    relay.forget(2);
    vi.advanceTimersByTime(50);
    expect(pushed).toEqual([
      [1, {}],
      [3, {}],
    ]);
    relay.close();
  });

  it('reports only a changed use, adopts the sums the primary answers or pushes, and adopts them again each round (a reload starts empty)', async () => {
    let own: LoadReport = { a: load({ requests: 1 }) };
    const adopted: LoadReport[] = [];
    const sent: LoadReport[] = [];
    let fail = false;
    const reporter = new LoadReporter(
      () => own,
      (others) => adopted.push(others),
      async (report) => {
        if (fail) throw new Error('the primary process did not answer');
        sent.push(report);
        return { a: load({ requests: 4 }) };
      },
    );
    await reporter.tick();
    await reporter.tick();
    expect(sent).toEqual([{ a: load({ requests: 1 }) }]);
    expect(adopted.at(-1)).toEqual({ a: load({ requests: 4 }) });
    reporter.receive({ a: load({ requests: 6 }) });
    adopted.length = 0;
    await reporter.tick();
    expect(adopted).toEqual([{ a: load({ requests: 6 }) }]);
    // A report the primary did not take is sent again next round.
    own = {};
    fail = true;
    await reporter.tick();
    fail = false;
    await reporter.tick();
    expect(sent).toEqual([{ a: load({ requests: 1 }) }, {}]);
  });
});
