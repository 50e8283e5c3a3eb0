import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { budgetsSchema, type BudgetsConfig } from '../config.js';
import { admissionRequest } from '../testing/fixtures.js';
import { BudgetGuard } from './guard.js';
import { formatUsd } from './usd.js';
import { MemoryBudgetState } from './state.js';

const NOW = Date.parse('2025-06-15T12:00:00Z');
const DAY = 86_400_000;

interface Line {
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function capture(): { logger: Logger; warns: Line[] } {
  const warns: Line[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (obj, msg) => warns.push({ obj: obj as Record<string, unknown>, msg }),
    error: () => undefined,
    child: () => logger,
  };
  return { logger, warns };
}

/** A guard on a fake clock whose every request reserves `estimate` USD. */
function guardFor(budgets: unknown, estimate = 0.01) {
  let clock = NOW;
  const { logger, warns } = capture();
  const config: BudgetsConfig = budgetsSchema.parse(budgets);
  const guard = new BudgetGuard({ config, state: new MemoryBudgetState(() => clock), estimate: () => estimate, logger, now: () => clock });
  return { guard, warns, advance: (ms: number) => (clock += ms), now: () => clock };
}

const settled = (): Promise<void> => new Promise((r) => setImmediate(r));
const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

/** Admits one request for `team` and books `cost` against it. */
async function spend(guard: BudgetGuard, id: string, team: string, cost: number, startedAt: number): Promise<void> {
  const ticket = await guard.admit(admissionRequest(id, { key: `k-${team}`, team, ingress: 'openai-chat' }));
  guard.settle({ requestId: id, tags: { key: `k-${team}`, team, ingress: 'openai-chat' }, startedAt }, cost);
  ticket.release();
  await settled();
}

const admit = (guard: BudgetGuard, id: string, team: string) => Promise.resolve(guard.admit(admissionRequest(id, { key: `k-${team}`, team, ingress: 'openai-chat' })));

const TEAM_DAILY = { limits: [{ name: 'team-daily', period: 'daily', per: 'team', match: { ingress: 'openai-chat' }, hard_usd: 0.0506 }] };

describe('budget amounts in words', () => {
  it('prints cents at least and every further decimal the value needs, so different limits never print alike', () => {
    expect(formatUsd(0.0506)).toBe('$0.0506');
    expect(formatUsd(0.05)).toBe('$0.05');
    expect(formatUsd(12.345)).toBe('$12.345');
    expect(formatUsd(1000)).toBe('$1000.00');
    expect(formatUsd(0.0001)).toBe('$0.0001');
    expect(formatUsd(1)).toBe('$1.00');
    expect(formatUsd(0.5)).toBe('$0.50');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0000001)).toBe('$0.0000001');
    expect(formatUsd(0.050612)).not.toBe(formatUsd(0.050613));
  });

  it('does not print the float noise of a sum', () => {
    expect(formatUsd(0.1 + 0.2)).toBe('$0.30');
    expect(formatUsd(12.345 + 0.01)).toBe('$12.355');
  });

  it('names a raised limit exactly in the 429 message', async () => {
    const { guard } = guardFor(TEAM_DAILY);
    await spend(guard, 'a', 'search', 0.06, NOW);
    const err = await refusal(admit(guard, 'b', 'search'));
    expect(GatewayError.isInstance(err) && err.message).toBe('Budget "team-daily" (daily, ingress=openai-chat, team=search) has reached its hard limit of $0.0506; it resets at 2025-06-16T00:00:00.000Z.');
  });
});

describe('budget limit log lines', () => {
  it('warns once per budget subject and period when a hard limit first refuses, and again in the next period', async () => {
    const { guard, warns, advance, now } = guardFor(TEAM_DAILY);
    const hard = () => warns.filter((w) => w.msg?.startsWith('budget hard limit reached'));
    await spend(guard, 'a', 'search', 0.06, now());
    for (const id of ['b', 'c', 'd']) expect(await refusal(admit(guard, id, 'search'))).toBeInstanceOf(Error);
    expect(hard()).toEqual([
      {
        obj: { budget: 'team-daily', period: 'daily', scope: 'ingress=openai-chat, team=search', per: 'team', match: { ingress: 'openai-chat' }, spentUsd: 0.06, reservedUsd: 0, hardUsd: 0.0506, resetsAt: '2025-06-16T00:00:00.000Z' },
        msg: 'budget hard limit reached: spent $0.06 of $0.0506; refusing requests until it resets',
      },
    ]);
    // Another team's counter is another subject: its own line.
    await spend(guard, 'e', 'ads', 0.07, now());
    await refusal(admit(guard, 'f', 'ads'));
    await refusal(admit(guard, 'g', 'ads'));
    expect(hard().map((w) => w.obj.scope)).toEqual(['ingress=openai-chat, team=search', 'ingress=openai-chat, team=ads']);
    // The next day the counter starts again; reaching the limit again is logged again, once.
    advance(DAY);
    await spend(guard, 'h', 'search', 0.06, now());
    await refusal(admit(guard, 'i', 'search'));
    await refusal(admit(guard, 'j', 'search'));
    expect(hard()).toHaveLength(3);
    expect(hard()[2]?.obj).toMatchObject({ scope: 'ingress=openai-chat, team=search', resetsAt: '2025-06-17T00:00:00.000Z' });
  });

  it('says what is reserved when in-flight reservations, not spend alone, reach the limit', async () => {
    const { guard, warns } = guardFor({ limits: [{ name: 'all-daily', period: 'daily', hard_usd: 0.05 }] }, 0.03);
    await admit(guard, 'a', 'search');
    await admit(guard, 'b', 'search');
    await refusal(admit(guard, 'c', 'search'));
    const line = warns.find((w) => w.msg?.startsWith('budget hard limit reached'));
    expect(line?.obj).toMatchObject({ budget: 'all-daily', scope: 'global', match: {}, spentUsd: 0, reservedUsd: 0.06, hardUsd: 0.05 });
    expect(line?.msg).toBe('budget hard limit reached: spent $0.00 of $0.05; refusing requests until it resets');
  });

  it('names who crossed a soft limit, by its per and match, with amounts told apart', async () => {
    const { guard, warns } = guardFor({ limits: [{ name: 'team-soft', period: 'monthly', per: 'team', match: { ingress: 'openai-chat' }, soft_usd: 0.0506 }] });
    await spend(guard, 'a', 'search', 0.0507, NOW);
    await settled();
    const line = warns.find((w) => w.msg?.startsWith('budget soft limit reached'));
    expect(line).toEqual({
      obj: { budget: 'team-soft', period: 'monthly', scope: 'ingress=openai-chat, team=search', softUsd: 0.0506, spentUsd: 0.0507, resetsAt: '2025-07-01T00:00:00.000Z', per: 'team', match: { ingress: 'openai-chat' } },
      msg: 'budget soft limit reached: spent $0.0507 of $0.0506',
    });
  });
});
