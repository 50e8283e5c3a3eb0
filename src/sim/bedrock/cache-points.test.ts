import { describe, expect, it } from 'vitest';
import { cachePointProblem, cachedPrefix } from './cache-points.js';

const CP = { cachePoint: { type: 'default' } };
const CP_1H = { cachePoint: { type: 'default', ttl: '1h' } };
const turn = (...content: unknown[]) => ({ role: 'user', content });

describe('bedrock simulator cache points (Converse)', () => {
  it('takes up to 4 cache points across tools, system and messages, and refuses a fifth', () => {
    const four = { toolConfig: { tools: [{ toolSpec: { name: 'f' } }, CP] }, system: [{ text: 's' }, CP], messages: [turn({ text: 'a' }, CP, { text: 'b' }, CP)] };
    expect(cachePointProblem(four)).toBeUndefined();
    expect(cachePointProblem({ ...four, messages: [turn({ text: 'a' }, CP, { text: 'b' }, CP, { text: 'c' }, CP)] })).toMatch(/5 cache points; a maximum of 4/);
  });

  it('refuses a cache point of another type or ttl, and a one-hour point after a five-minute one', () => {
    expect(cachePointProblem({ messages: [turn({ text: 'a' }, { cachePoint: { type: 'ephemeral' } })] })).toMatch(/cachePoint.type must be 'default'/);
    expect(cachePointProblem({ messages: [turn({ text: 'a' }, { cachePoint: { type: 'default', ttl: '2h' } })] })).toMatch(/cachePoint.ttl/);
    expect(cachePointProblem({ system: [{ text: 's' }, CP], messages: [turn({ text: 'a' }, CP_1H)] })).toMatch(/1h TTL cannot come after/);
    expect(cachePointProblem({ system: [{ text: 's' }, CP_1H], messages: [turn({ text: 'a' }, CP)] })).toBeUndefined();
  });

  it('caches the system and message text up to the last cache point', () => {
    expect(cachedPrefix({ system: [{ text: 'Rules. ' }, CP], messages: [turn({ text: 'hi' })] })).toBe('Rules. ');
    expect(cachedPrefix({ system: [{ text: 'Rules. ' }], messages: [turn({ text: 'hi' }, CP, { text: ' more' })] })).toBe('Rules. hi');
    expect(cachedPrefix({ messages: [turn({ text: 'hi' })] })).toBeUndefined();
  });
});
