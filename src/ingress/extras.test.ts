import { describe, expect, it } from 'vitest';
import { makeUsage, type BilledAttempt } from '../core/types.js';
import type { ServedBy } from '../gateway/gateway.js';
import type { CostFn, RouteContext } from '../http/route.js';
import { answerCost } from './extras.js';

/** A dollar per thousand tokens at `priced` deployments; any other is unpriced. */
const costOf: CostFn = (s, usage) => (s.deployment.startsWith('priced') && usage ? { usd: usage.total / 1000, priced: true } : { usd: undefined, priced: false });
const ctx = { costOf, request: { headers: {} } } as unknown as RouteContext;
const served = (failed?: BilledAttempt[]): ServedBy => ({ deployment: 'priced-b', provider: 'p', model: 'm', region: undefined, group: undefined, attempts: 2, requestId: 'r', failed });
const spent = (deployment: string, prompt: number): BilledAttempt => ({ deployment, provider: 'p', model: 'm', region: undefined, usage: makeUsage({ prompt }) });
const answer = makeUsage({ prompt: 1000, completion: 500 });

describe('answerCost', () => {
  it('is the request cost: the answer plus every attempt billed before it', () => {
    expect(answerCost(ctx, served(), answer).usd).toBe('1.5');
    expect(answerCost(ctx, served([spent('priced-a', 250), spent('priced-a', 250)]), answer, { extras: true })).toEqual({ usd: '2.0', extension: { switchyard: { cost_usd: 2 } } });
  });

  it('is absent when a billed attempt before the answer is unpriced, as when the answer is', () => {
    expect(answerCost(ctx, served([spent('other', 250)]), answer, { extras: true })).toEqual({ usd: undefined, extension: { switchyard: { cost_usd: null } } });
  });

  it('adds the attempts billed before a stream that resumed to its attempts', () => {
    const attempts = [spent('priced-a', 500), spent('priced-b', 500)];
    expect(answerCost(ctx, served([spent('priced-c', 500)]), answer, { attempts }).usd).toBe('1.5');
  });
});
