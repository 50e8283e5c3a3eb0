import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../core/types.js';
import { encodeChatRequest } from './encode-request.js';
import { samplingRuleFor } from './sampling-rules.js';

const SAMPLED: Partial<ChatRequest> = { temperature: 0.2, topP: 0.5, stopSequences: ['END'], presencePenalty: 0.4, frequencyPenalty: 0.3 };
const ask = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'client-name', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], ...SAMPLED, ...extra });
const encode = (model: string, extra: Partial<ChatRequest> = {}) => encodeChatRequest(ask(extra), { model, provider: 'test', stream: false });
const sent = (model: string, extra: Partial<ChatRequest> = {}) => {
  const body = encode(model, extra).body;
  return ['temperature', 'top_p', 'stop', 'presence_penalty', 'frequency_penalty'].filter((k) => k in body);
};
const warned = (model: string, extra: Partial<ChatRequest> = {}) => (encode(model, extra).warnings ?? []).map((w) => w.setting);
const EVERYTHING = ['temperature', 'top_p', 'stop', 'presence_penalty', 'frequency_penalty'];
const SAMPLING_ONLY = ['temperature', 'top_p'];
const ALL_WARNINGS = ['temperature', 'topP', 'stopSequences', 'presencePenalty', 'frequencyPenalty'];

describe('OpenAI reasoning models: the settings they refuse are dropped with a warning, not sent to fail', () => {
  it.each(['gpt-4o', 'gpt-4.1-mini', 'gpt-5-chat-latest', 'gpt-5-chat', 'meta-llama/Llama-3.1-8B-Instruct', 'openai/gpt-oss-120b'])('%s: sends every setting as given', (model) => {
    expect(sent(model)).toEqual(EVERYTHING);
    expect(encode(model).warnings).toBeUndefined();
  });

  it.each(['gpt-5', 'gpt-5-mini', 'gpt-5-nano-2025-08-07', 'gpt-5-codex', 'gpt-5-pro', 'o3', 'o3-2025-04-16', 'o3-pro', 'o4-mini', 'o4-mini-2025-04-16', 'o1-mini', 'openai/o3'])(
    '%s: sends no temperature, top_p, stop or penalties, with a warning for each',
    (model) => {
      expect(sent(model)).toEqual([]);
      expect(warned(model)).toEqual(ALL_WARNINGS);
    },
  );

  it.each(['gpt-5.1-chat-latest', 'gpt-5.2-chat-latest', 'gpt-5.3-chat-latest', 'gpt-5.2-pro', 'gpt-5.4-pro', 'gpt-5.5-pro', 'gpt-5.5-pro-2026-04-23'])(
    '%s, which always reasons (no effort none): sends no temperature, top_p, stop or penalties, reasoning asked or not',
    (model) => {
      expect(sent(model)).toEqual([]);
      expect(warned(model)).toEqual(ALL_WARNINGS);
      expect(sent(model, { reasoning: { enabled: true, effort: 'medium' } })).toEqual([]);
    },
  );

  it.each(['o1', 'o1-2024-12-17', 'o3-mini', 'o3-mini-2025-01-31'])('%s: sends stop but no sampling or penalties', (model) => {
    expect(sent(model)).toEqual(['stop']);
    expect(warned(model)).toEqual(['temperature', 'topP', 'presencePenalty', 'frequencyPenalty']);
  });

  describe('gpt-5.1 and later, which take temperature and top_p only with reasoning effort none (their default)', () => {
    it.each(['gpt-5.1', 'gpt-5.2', 'gpt-5.1-codex', 'gpt-5.2-2025-12-11'])('%s without reasoning asked: sends sampling, never stop or penalties', (model) => {
      expect(sent(model)).toEqual(SAMPLING_ONLY);
      expect(sent(model, { reasoning: { enabled: false } })).toEqual(SAMPLING_ONLY);
      expect(warned(model)).toEqual(['stopSequences', 'presencePenalty', 'frequencyPenalty']);
    });

    it('drops sampling when reasoning is asked for, saying it is refused only while reasoning', () => {
      const { body, warnings } = encode('gpt-5.1', { reasoning: { enabled: true, effort: 'high' } });
      expect(body.reasoning_effort).toBe('high');
      expect(body).not.toHaveProperty('temperature');
      expect(body).not.toHaveProperty('top_p');
      expect(warnings?.find((w) => w.setting === 'temperature')?.message).toContain('only with reasoning effort none');
    });
  });

  it('sends sampling to a model the deployment does not let reason, which then has no effort to refuse it under', () => {
    const { body } = encodeChatRequest(ask({ reasoning: { enabled: true, effort: 'high' } }), { model: 'gpt-5.1', provider: 'test', stream: false, reasoningEfforts: 'none' });
    expect(body).toMatchObject({ temperature: 0.2, top_p: 0.5 });
  });

  it('warns only about values that differ from the default, which the upstream applies anyway', () => {
    const { body, warnings } = encode('o3', { temperature: 1, topP: 1, stopSequences: [], presencePenalty: 0, frequencyPenalty: 0 });
    expect(body).not.toHaveProperty('temperature');
    expect(warnings).toBeUndefined();
  });

  it('judges the model only by its name after any org/ prefix, case aside', () => {
    expect(samplingRuleFor('openai/GPT-5-mini')).toBe(samplingRuleFor('gpt-5'));
    expect(samplingRuleFor('my-o3-deployment').family).toBe('any');
  });
});
