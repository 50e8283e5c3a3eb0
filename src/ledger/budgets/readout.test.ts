import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { BudgetConfig } from '../config.js';
import { admissionRequest } from '../testing/fixtures.js';
import { BudgetGuard, counterRef } from './guard.js';
import { MAX_LISTED_COUNTERS, readBudgets } from './readout.js';
import { MemoryBudgetState } from './state.js';

const NOW = Date.parse('2025-06-15T12:00:00Z');
const TEAM_DAILY: BudgetConfig = { name: 'team-daily', period: 'daily', per: 'team', hard_usd: 1, match: {} };
const KEY_DAILY: BudgetConfig = { name: 'key:k1:daily', period: 'daily', per: 'key', hard_usd: 0.5, match: {} };

function guardOn(state: MemoryBudgetState, limits: BudgetConfig[]): BudgetGuard {
  return new BudgetGuard({
    config: { state: 'memory', default_completion_tokens: 4096, limits },
    state,
    estimate: () => 0.2,
    logger: silentLogger,
    now: () => NOW,
    keyBudgets: (keyId) => (keyId === 'k1' ? [KEY_DAILY] : undefined),
  });
}

describe('reading the budgets (GET /v1/switchyard/budgets)', () => {
  it('lists a virtual key\'s own budget to an admin and to that key, never to another key', async () => {
    const guard = guardOn(new MemoryBudgetState(() => NOW), []);
    await guard.admit(admissionRequest('a1', { key: 'k1' }));
    expect((await readBudgets(guard, {})).budgets).toEqual([
      { name: 'key:k1:daily', period: 'daily', per: 'key', match: {}, hardUsd: 0.5, softUsd: null, counters: [{ scope: 'key=k1', value: 'k1', spentUsd: 0, reservedUsd: 0.2, remainingUsd: 0.3, periodStart: '2025-06-15T00:00:00.000Z', resetsAt: '2025-06-16T00:00:00.000Z', refusing: false, override: null }] },
    ]);
    expect((await readBudgets(guard, { ownTags: { key: 'k1' } })).budgets.map((b) => b.name)).toEqual(['key:k1:daily']);
    expect((await readBudgets(guard, { ownTags: { key: 'k2' } })).budgets).toEqual([]);
  });

  it('shows a key the counters of budgets on the front door (`ingress`) its own requests count on, never ones that count other callers', async () => {
    const TEAM_DOOR: BudgetConfig = { name: 'team-door', period: 'daily', per: 'ingress', match: { team: 'research' }, hard_usd: 1 };
    const KEY_ON_CHAT: BudgetConfig = { name: 'key-on-chat', period: 'daily', per: 'key', match: { ingress: 'openai-chat' }, hard_usd: 1 };
    const EVERY_DOOR: BudgetConfig = { name: 'every-door', period: 'daily', per: 'ingress', hard_usd: 1, match: {} };
    const guard = guardOn(new MemoryBudgetState(() => NOW), [TEAM_DOOR, KEY_ON_CHAT, EVERY_DOOR]);
    await guard.admit(admissionRequest('a1', { key: 'k2', team: 'research', ingress: 'openai-chat' }));
    await guard.admit(admissionRequest('a2', { key: 'k2', team: 'research', ingress: 'anthropic-messages' }));
    await guard.admit(admissionRequest('a3', { key: 'k9', team: 'search', ingress: 'openai-chat' }));
    const own = (tags: Record<string, string>) => readBudgets(guard, { ownTags: tags }).then((r) => r.budgets.map((b) => [b.name, b.counters.map((c) => [c.scope, c.reservedUsd])]));
    expect(await own({ key: 'k2', team: 'research' })).toEqual([
      ['team-door', [['team=research, ingress=openai-chat', 0.2], ['team=research, ingress=openai-responses', 0], ['team=research, ingress=anthropic-messages', 0.2]]],
      ['key-on-chat', [['ingress=openai-chat, key=k2', 0.2]]],
    ]);
    expect(await own({ key: 'k9', team: 'search' })).toEqual([['key-on-chat', [['ingress=openai-chat, key=k9', 0.2]]]]);
    expect((await readBudgets(guard, { ownTags: { key: 'k9', team: 'search' }, budget: 'team-door' })).budgets).toEqual([]);
  });

  it(`lists at most ${MAX_LISTED_COUNTERS} counters of per budgets and says the answer is cut`, async () => {
    const state = new MemoryBudgetState(() => NOW);
    for (let i = 0; i <= MAX_LISTED_COUNTERS; i += 1) await state.seedStatus(counterRef(TEAM_DAILY, `team-${i}`, NOW));
    const readout = await readBudgets(guardOn(state, [TEAM_DAILY]), {});
    expect(readout.truncated).toBe(true);
    expect(readout.budgets[0]?.counters).toHaveLength(MAX_LISTED_COUNTERS);
  });

  it('shows float residue under a nano-dollar as 0: a counter whose reservations all came back holds none', async () => {
    const state = new MemoryBudgetState(() => NOW);
    const guard = guardOn(state, [TEAM_DAILY]);
    const ref = counterRef(TEAM_DAILY, 'research', NOW);
    const held = await Promise.all([0.1, 0.2].map((amount) => state.reserve([ref], amount).then((r) => ({ amount, since: r.ok ? r.since : [] }))));
    for (const part of held.reverse()) await state.release([ref], part);
    // 0.1 + 0.2 - 0.2 - 0.1 leaves 2.8e-17 reserved in a float.
    expect(state.peek(ref.counter)?.reserved).toBeGreaterThan(0);
    expect((await readBudgets(guard, {})).budgets[0]?.counters[0]).toMatchObject({ spentUsd: 0, reservedUsd: 0, remainingUsd: 1 });
  });

  it('reports a counter\'s spend to metrics without float residue under a nano-dollar', async () => {
    const state = new MemoryBudgetState(() => NOW);
    const guard = guardOn(state, [TEAM_DAILY]);
    const ticket = await guard.admit(admissionRequest('a1', { team: 'research' }));
    guard.settle({ requestId: 'a1', tags: { team: 'research' }, startedAt: NOW }, 4e-12);
    ticket.release();
    await new Promise((r) => setImmediate(r));
    expect(state.peek(counterRef(TEAM_DAILY, 'research', NOW).counter)?.spent).toBe(4e-12);
    expect((await guard.spending()).map((r) => [r.scope, r.spentUsd])).toEqual([['team=research', 0]]);
  });
});
