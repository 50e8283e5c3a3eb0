import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient } from '../../cluster/rpc.js';
import { inProcessPrimary } from '../../cluster/testing/in-process-primary.js';
import { silentLogger } from '../../core/logger.js';
import { admissionRequest } from '../testing/fixtures.js';
import { BudgetGuard, type SoftLimitNotice } from './guard.js';
import { budgetHandlers, IpcBudgetState } from './ipc-state.js';
import { RedisBudgetState } from './redis-state.js';
import { MemoryBudgetState, type BudgetOverride, type BudgetState, type CounterRef } from './state.js';

const REDIS_URL = process.env.REDIS_URL;
const NOW = Date.parse('2025-06-15T12:00:00Z');
const HOUR = 3_600_000;

const ref = (value: string): CounterRef => ({ counter: `team-daily|2025-06-15|${value}`, budget: 'team-daily', value, hardUsd: 1, periodStart: Date.parse('2025-06-15'), expiresAt: Date.parse('2025-06-16') });

const override = (value: string, hardUsd: number, expiresAt: number, softUsd?: number): BudgetOverride => ({ budget: 'team-daily', value, hardUsd, softUsd, expiresAt, setAt: NOW, by: 'key:ops', reason: 'incident 42' });


/** Two replicas' (or workers') views of one budget state, on a clock the spec moves. */
type Open = (clock: () => number) => Promise<[BudgetState, BudgetState]>;

const STATES: Array<[string, Open | undefined]> = [
  ['in memory', async (clock) => {
    const state = new MemoryBudgetState(clock);
    return [state, state];
  }],
  ['on a `serve --workers` primary, over IPC', async (clock) => {
    const primary = inProcessPrimary({ budgets: budgetHandlers(new MemoryBudgetState(clock)) });
    return [new IpcBudgetState(new RpcClient(primary.channel())), new IpcBudgetState(new RpcClient(primary.channel()))];
  }],
  ['in Redis', REDIS_URL === undefined ? undefined : async (clock) => {
    const prefix = `overrides-${process.pid}-${Math.floor(Math.random() * 1e9)}:`;
    return [new RedisBudgetState({ url: REDIS_URL, prefix, logger: silentLogger, now: clock }), new RedisBudgetState({ url: REDIS_URL, prefix, logger: silentLogger, now: clock })];
  }],
];

for (const [where, open] of STATES) {
  describe.skipIf(open === undefined)(`budget overrides held ${where}`, () => {
    let clock = NOW;
    let states: [BudgetState, BudgetState];
    afterEach(async () => {
      for (const s of new Set(states)) await s.close();
      clock = NOW;
    });

    it('replaces a counter\'s hard limit for every replica until it expires, then the budget\'s applies again', async () => {
      states = await (open as Open)(() => clock);
      const [one, two] = states;
      expect(await one.reserve([ref('research')], 1)).toMatchObject({ ok: true });
      expect(await two.reserve([ref('research')], 0.5)).toEqual({ ok: false, refused: 0, spent: 0, reserved: 1, unseeded: [0] });
      expect(await one.setOverride(override('research', 2, NOW + HOUR, 1.5))).toBeUndefined();
      const admitted = await two.reserve([ref('search'), ref('research')], 0.5);
      expect(admitted).toMatchObject({ ok: true });
      expect(admitted.ok && admitted.limits?.[1]).toEqual({ hardUsd: 2, softUsd: 1.5, expiresAt: NOW + HOUR });
      expect(admitted.ok && admitted.limits?.[0]).toBeFalsy();
      await one.reserve([ref('research')], 0.5);
      // The refusal says when the override that refused ends: it may end before the period does.
      expect(await two.reserve([ref('research')], 0.5)).toMatchObject({ ok: false, refused: 0, reserved: 2, hardUsd: 2, overrideEndsAt: NOW + HOUR });
      clock = NOW + HOUR;
      const after = await two.reserve([ref('research')], 0.5);
      expect(after).toMatchObject({ ok: false, reserved: 2 });
      expect(after).not.toHaveProperty('hardUsd');
      expect(after).not.toHaveProperty('overrideEndsAt');
      expect(await one.overrides()).toEqual([]);
    });

    it('lists the overrides in force, says which one a set replaced and which one a removal took away', async () => {
      states = await (open as Open)(() => clock);
      const [one, two] = states;
      const first = override('research', 2, NOW + HOUR);
      await one.setOverride(first);
      await one.setOverride(override('search', 3, NOW + 2 * HOUR));
      expect((await two.overrides()).map((o) => [o.value, o.hardUsd]).sort()).toEqual([['research', 2], ['search', 3]]);
      const second = override('research', 4, NOW + 3 * HOUR, 3);
      expect(await two.setOverride(second)).toEqual(first);
      expect(await one.removeOverride('team-daily', 'research')).toEqual(second);
      expect(await one.removeOverride('team-daily', 'research')).toBeUndefined();
      expect((await two.overrides()).map((o) => o.value)).toEqual(['search']);
      expect(await two.reserve([ref('research')], 1)).not.toHaveProperty('limits');
    });
  });
}

describe('a budget guard under an override', () => {
  it('notifies at the override\'s soft limit and reports its hard limit to metrics, on the counter it overrides only', async () => {
    const state = new MemoryBudgetState(() => NOW);
    const notices: SoftLimitNotice[] = [];
    const guard = new BudgetGuard({
      config: { state: 'memory', default_completion_tokens: 4096, limits: [{ name: 'team-daily', period: 'daily', per: 'team', soft_usd: 1, hard_usd: 10, match: {} }] },
      state,
      estimate: () => 0.5,
      logger: silentLogger,
      now: () => NOW,
      onSoftLimit: (n) => notices.push(n),
    });
    await state.setOverride(override('research', 20, NOW + HOUR, 0.3));
    for (const team of ['research', 'search']) {
      const ticket = await guard.admit(admissionRequest(`a-${team}`, { team }));
      guard.settle({ requestId: `a-${team}`, tags: { team }, startedAt: NOW }, 0.4);
      ticket.release();
    }
    await new Promise((r) => setImmediate(r));
    expect(notices).toEqual([{ budget: 'team-daily', period: 'daily', scope: 'team=research', softUsd: 0.3, spentUsd: 0.4, resetsAt: '2025-06-16T00:00:00.000Z' }]);
    // The metrics' hard limit of each counter is the one in force.
    expect((await guard.spending()).map((r) => [r.scope, r.limitUsd])).toEqual([['team=research', 20], ['team=search', 10]]);
  });

  it('tells a client refused under an override to retry when the override ends, if that is before the period resets, and says when', async () => {
    let clock = NOW;
    const state = new MemoryBudgetState(() => clock);
    const guard = new BudgetGuard({
      config: { state: 'memory', default_completion_tokens: 4096, limits: [{ name: 'team-daily', period: 'daily', per: 'team', hard_usd: 10, match: {} }] },
      state,
      estimate: () => 0.5,
      logger: silentLogger,
      now: () => clock,
    });
    await state.setOverride(override('research', 0.3, NOW + 60_000));
    await guard.admit(admissionRequest('r1', { team: 'research' }));
    const refused = await guard.admit(admissionRequest('r2', { team: 'research' })).catch((err: unknown) => err);
    expect(refused).toMatchObject({ kind: 'budget_exceeded', retryAfterMs: 60_000 });
    expect((refused as Error).message).toBe('Budget "team-daily" (daily, team=research) has reached its temporarily overridden hard limit of $0.30, in force until 2025-06-15T12:01:00.000Z; it resets at 2025-06-16T00:00:00.000Z.');
    clock = NOW + 60_000;
    await expect(guard.admit(admissionRequest('r3', { team: 'research' }))).resolves.toBeDefined();
  });

  it('keeps retry-after at the period\'s reset when the budget\'s own limit refuses the spend too once the override ends', async () => {
    const state = new MemoryBudgetState(() => NOW);
    const guard = new BudgetGuard({
      config: { state: 'memory', default_completion_tokens: 4096, limits: [{ name: 'team-daily', period: 'daily', per: 'team', hard_usd: 1, match: {} }] },
      state,
      estimate: () => 0.5,
      logger: silentLogger,
      now: () => NOW,
    });
    await state.setOverride(override('research', 2, NOW + 60_000));
    for (const id of ['r1', 'r2', 'r3', 'r4']) {
      const ticket = await guard.admit(admissionRequest(id, { team: 'research' }));
      guard.settle({ requestId: id, tags: { team: 'research' }, startedAt: NOW }, 0.5);
      ticket.release();
    }
    await new Promise((r) => setImmediate(r));
    await expect(guard.admit(admissionRequest('r5', { team: 'research' }))).rejects.toMatchObject({ kind: 'budget_exceeded', retryAfterMs: 12 * HOUR });
  });
});
