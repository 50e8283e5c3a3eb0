import { describe, expect, it } from 'vitest';
import { BUDGET_REFUSED, PREFILL_REFUSED, effortProblem, prefillProblem, thinkingFormProblem, validateMessagesBody } from './validate.js';
import { cachePrefix } from './script.js';
import { signatureOf } from '../answer.js';

const opts = { requireModel: true, version: '2023-06-01' };
const ok = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

describe('anthropic simulator prefill rule', () => {
  const prefilled = { ...ok, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'Hello' }] };

  it.each(['claude-opus-4-6', 'claude-sonnet-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-sonnet-5', 'claude-opus-4-6@20260205'])('refuses a final assistant message on %s with the API\'s words', (model) => {
    expect(prefillProblem(prefilled, model)).toBe(PREFILL_REFUSED);
    expect(PREFILL_REFUSED).toBe('This model does not support assistant message prefill. The conversation must end with a user message.');
  });

  it('continues it on earlier models, and takes a conversation ending on the user everywhere', () => {
    expect(prefillProblem(prefilled, 'claude-sonnet-4-5@20250929')).toBeUndefined();
    expect(prefillProblem(prefilled, 'claude-haiku-4-5')).toBeUndefined();
    expect(prefillProblem(ok, 'claude-opus-4-6')).toBeUndefined();
  });
});

describe('anthropic simulator thinking forms', () => {
  const budget = { type: 'enabled', budget_tokens: 2048 };
  const adaptive = { type: 'adaptive' };

  it.each(['claude-opus-4-7', 'claude-opus-4-8', 'claude-sonnet-5', 'claude-fable-5', 'claude-mythos-preview', 'claude-opus-4-7@20260416', 'us.anthropic.claude-opus-4-7'])(
    "refuses the budget form on %s with the API's words, and takes adaptive thinking",
    (model) => {
      expect(thinkingFormProblem(budget, model)).toBe(BUDGET_REFUSED);
      expect(BUDGET_REFUSED).toBe('"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.');
      expect(thinkingFormProblem(adaptive, model)).toBeUndefined();
    },
  );

  it('takes both forms on Claude 4.6, only the budget form before it', () => {
    for (const form of [budget, adaptive]) expect(thinkingFormProblem(form, 'claude-sonnet-4-6')).toBeUndefined();
    expect(thinkingFormProblem(budget, 'claude-haiku-4-5')).toBeUndefined();
    expect(thinkingFormProblem(adaptive, 'claude-haiku-4-5')).toMatch(/adaptive" is not supported/);
  });

  it('checks adaptive thinking and output_config as the API does', () => {
    expect(validateMessagesBody({ ...ok, thinking: adaptive, output_config: { effort: 'xhigh' } }, opts)).toBeUndefined();
    expect(validateMessagesBody({ ...ok, thinking: adaptive, output_config: { effort: 'extreme' } }, opts)).toMatch(/^output_config.effort/);
    expect(validateMessagesBody({ ...ok, output_config: { budget: 1 } }, opts)).toMatch(/^output_config.budget: Extra inputs/);
    expect(validateMessagesBody({ ...ok, thinking: { type: 'adaptive', budget_tokens: 2048 } }, opts)).toMatch(/Extra inputs/);
    expect(validateMessagesBody({ ...ok, thinking: adaptive, temperature: 0.5 }, opts)).toMatch(/temperature/);
    expect(validateMessagesBody({ ...ok, thinking: adaptive, top_k: 5 }, opts)).toMatch(/top_k/);
  });
});

describe('anthropic simulator request validation', () => {
  it('accepts a minimal valid body', () => {
    expect(validateMessagesBody(ok, opts)).toBeUndefined();
  });

  it('accepts a conversation that opens with an assistant message, as the Messages API has since October 2024 (Anthropic, Vertex and Bedrock alike)', () => {
    const greeted = { ...ok, messages: [{ role: 'assistant', content: 'Hi! How can I help?' }, { role: 'user', content: 'hi' }] };
    expect(validateMessagesBody(greeted, opts)).toBeUndefined();
    expect(validateMessagesBody({ ...greeted, model: undefined }, { requireModel: false, version: 'vertex-2023-10-16' })).toBeUndefined();
  });

  it.each([
    ['a missing max_tokens', { ...ok, max_tokens: undefined }, /max_tokens/],
    ['a system role inside messages', { ...ok, messages: [{ role: 'system', content: 'x' }] }, /role/],
    ['an empty text block', { ...ok, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, /non-empty/],
    ['a text block of white space only', { ...ok, messages: [{ role: 'user', content: [{ type: 'text', text: ' \n' }] }] }, /must contain non-whitespace text/],
    ['a user message of white space only', { ...ok, messages: [{ role: 'user', content: '  ' }] }, /must contain non-whitespace text/],
    [
      'a blank text block in an assistant message',
      { ...ok, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'text', text: '\t' }, { type: 'text', text: 'a' }] }, { role: 'user', content: 'r' }] },
      /must contain non-whitespace text/,
    ],
    ['an unsupported image media type', { ...ok, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'AA' } }] }] }, /media_type/],
    ['temperature above 1', { ...ok, temperature: 1.5 }, /temperature/],
    [
      'a tool_use without a tool_result after it',
      { ...ok, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] }, { role: 'user', content: 'next' }] },
      /without `tool_result`/,
    ],
    ['a tool_result for an unknown tool_use', { ...ok, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'zz', content: 'r' }] }] }, /unexpected `tool_use_id`/],
    ['a prefill ending with whitespace', { ...ok, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'Hello ' }] }, /final assistant content cannot end with trailing whitespace/],
    [
      'thinking in a tool loop whose assistant turn does not open with thinking',
      {
        ...ok,
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r' }] },
        ],
      },
      /^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`/,
    ],
    ['a tool_choice naming a missing tool', { ...ok, tools: [{ name: 'a', input_schema: {} }], tool_choice: { type: 'tool', name: 'b' } }, /tool_choice/],
  ])('rejects %s', (_what, body, message) => {
    expect(validateMessagesBody(body as Record<string, unknown>, opts)).toMatch(message);
  });

  it('rejects sampling parameters from anthropic-version 2026-10-21 on', () => {
    expect(validateMessagesBody({ ...ok, top_k: 5 }, { ...opts, version: '2026-10-21' })).toMatch(/top_k.*2026-10-21/);
    expect(validateMessagesBody({ ...ok, temperature: 0.5 }, opts)).toBeUndefined();
    expect(validateMessagesBody({ ...ok, model: undefined, temperature: 0.5 }, { requireModel: false, version: 'vertex-2023-10-16' })).toBeUndefined();
  });

  it('wants no model in the body when the model is in the URL (Vertex, Bedrock)', () => {
    expect(validateMessagesBody(ok, { requireModel: false, version: 'vertex-2023-10-16' })).toMatch(/model/);
    expect(validateMessagesBody({ ...ok, model: undefined }, { requireModel: false, version: 'vertex-2023-10-16' })).toBeUndefined();
  });
});

describe('anthropic simulator prompt-caching rules (Anthropic, Claude on Vertex)', () => {
  const mark = (ttl?: string) => ({ type: 'ephemeral', ...(ttl === undefined ? {} : { ttl }) });
  const block = (text: string, ttl?: string) => ({ type: 'text', text, cache_control: mark(ttl) });
  const problem = (extra: Record<string, unknown>) => validateMessagesBody({ ...ok, ...extra }, opts);

  it('takes a top-level cache_control (automatic caching), and refuses one the API would', () => {
    expect(problem({ cache_control: mark() })).toBeUndefined();
    expect(problem({ cache_control: mark('1h') })).toBeUndefined();
    expect(problem({ cache_control: { type: 'persistent' } })).toBe("cache_control.type: Input should be 'ephemeral'");
    expect(problem({ cache_control: mark('2h') })).toBe("cache_control.ttl: Input should be '5m' or '1h'");
    expect(problem({ system: [block('a', '10m')] })).toBe("system.0.cache_control.ttl: Input should be '5m' or '1h'");
  });

  it('takes at most 4 breakpoints, the automatic one counted unless it lands on a block marked alike', () => {
    const four = [block('a'), block('b'), block('c'), block('d')];
    expect(problem({ system: four })).toBeUndefined();
    expect(problem({ system: [...four, block('e')] })).toBe('A maximum of 4 blocks with cache_control may be provided. Found 5.');
    expect(problem({ system: four, cache_control: mark() })).toBe('A maximum of 4 blocks with cache_control may be provided. Found 5.');
    expect(problem({ system: four.slice(0, 3), messages: [{ role: 'user', content: [block('q')] }], cache_control: mark() })).toBeUndefined();
    expect(problem({ messages: [{ role: 'user', content: [block('q', '1h')] }], cache_control: mark() })).toMatch(/^cache_control: the automatic cache breakpoint's ttl '5m' conflicts/);
  });

  it('puts the automatic breakpoint on the last cacheable block, past thinking, and refuses a 1h breakpoint after a 5m one', () => {
    const thought = { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: signatureOf(['t']) }] };
    expect(problem({ messages: [{ role: 'user', content: [block('q', '1h')] }, thought], cache_control: mark() })).toMatch(/conflicts/);
    expect(problem({ system: [block('a', '5m')], cache_control: mark('1h') })).toBe("a cache_control block with ttl='1h' must not come after a cache_control block with ttl='5m'");
    expect(problem({ system: [block('a', '1h')], cache_control: mark('5m') })).toBeUndefined();
  });

  it('caches the whole prompt for a top-level cache_control, an hour for a 1h one', () => {
    const body = { ...ok, system: 'Rules. ', messages: [{ role: 'user', content: 'hi' }] };
    expect(cachePrefix({ ...body, cache_control: mark() })).toEqual({ text: 'Rules. hi', oneHour: '' });
    expect(cachePrefix({ ...body, cache_control: mark('1h') })).toEqual({ text: 'Rules. hi', oneHour: 'Rules. hi' });
    expect(cachePrefix(body)).toEqual({ text: '', oneHour: '' });
  });
});

describe('the efforts above high, by model', () => {
  it('takes xhigh from Claude Opus 4.7 on and max from 4.6 on, and refuses them before', () => {
    for (const model of ['claude-opus-4-7', 'claude-opus-4-8', 'claude-sonnet-5', 'us.anthropic.claude-fable-5-v1:0']) {
      expect([effortProblem({ effort: 'xhigh' }, model), effortProblem({ effort: 'max' }, model)], model).toEqual([undefined, undefined]);
    }
    for (const model of ['claude-sonnet-4-6', 'claude-opus-4-6@20260101', 'claude-mythos-preview']) {
      expect(effortProblem({ effort: 'max' }, model), model).toBeUndefined();
      expect(effortProblem({ effort: 'xhigh' }, model), model).toBe("output_config.effort: 'xhigh' is not supported by this model.");
    }
    expect(effortProblem({ effort: 'max' }, 'claude-opus-4-5')).toBe("output_config.effort: 'max' is not supported by this model.");
    expect(effortProblem({ effort: 'high' }, 'claude-opus-4-5')).toBeUndefined();
  });
});

