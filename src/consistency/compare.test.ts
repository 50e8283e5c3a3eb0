import { describe, expect, it } from 'vitest';
import { comparePrompt, similarity } from './compare.js';
import type { Observation } from './run.js';

const obs = (deployment: string, o: Partial<Observation> = {}): Observation => ({
  prompt: 'p',
  deployment,
  ok: true,
  error: undefined,
  finishReason: 'stop',
  text: 'Paris is the capital of France.',
  validJson: undefined,
  toolCall: undefined,
  promptTokens: 10,
  completionTokens: 8,
  latencyMs: 100,
  costUsd: 0.001,
  ...o,
});

const kinds = (observations: Observation[]): string[] => comparePrompt('p', observations).flags.map((f) => f.kind);

describe('consistency comparison', () => {
  it('flags nothing when every deployment answers alike', () => {
    expect(kinds([obs('a'), obs('b')])).toEqual([]);
  });

  it('flags differing finish reasons, a failed deployment and JSON that does not parse', () => {
    expect(kinds([obs('a'), obs('b', { finishReason: 'length' })])).toEqual(['finish_reason']);
    expect(kinds([obs('a'), obs('b', { ok: false, error: 'timeout: slow' })])).toEqual(['error']);
    expect(kinds([obs('a', { validJson: true, text: '{}' }), obs('b', { validJson: false, text: 'Sure! {}' })])).toContain('invalid_json');
  });

  it('flags a missing tool call, another tool, and arguments invalid for the schema', () => {
    const call = { name: 'get_weather', validArguments: true };
    expect(kinds([obs('a', { toolCall: call, text: '' }), obs('b')])).toContain('tool_call');
    expect(kinds([obs('a', { toolCall: call, text: '' }), obs('b', { toolCall: { name: 'search', validArguments: true }, text: '' })])).toEqual(['tool_call']);
    expect(kinds([obs('a', { toolCall: call, text: '' }), obs('b', { toolCall: { ...call, validArguments: false }, text: '' })])).toEqual(['tool_call']);
  });

  it('flags token counts, lengths, latency and text similarity beyond the thresholds', () => {
    expect(kinds([obs('a'), obs('b', { promptTokens: 14 })])).toEqual(['tokens']);
    expect(kinds([obs('a'), obs('b', { text: 'Paris is the capital of France. '.repeat(3) })])).toEqual(['length']);
    expect(kinds([obs('a'), obs('b', { latencyMs: 1_500 })])).toEqual(['latency']);
    expect(kinds([obs('a'), obs('b', { text: 'I cannot help with that request here.' })])).toEqual(['similarity']);
  });

  it('scores text similarity from 0 (no word in common) to 1 (the same words)', () => {
    expect(similarity('the cat sat', 'The cat sat!')).toBe(1);
    expect(similarity('alpha beta', 'gamma delta')).toBe(0);
    expect(similarity('the cat sat', 'the dog sat')).toBeCloseTo(0.667, 3);
  });
});
