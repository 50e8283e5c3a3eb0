import { describe, expect, it } from 'vitest';
import { claudeThinkingForm, type ClaudeThinkingForm } from './claude-thinking.js';

/**
 * Which thinking form a model takes, on every host's spelling of its id: Claude before 4.6 the budget
 * form only, Claude 4.6 either, Claude Opus 4.7 and later (and Claude 5) adaptive thinking only; a
 * Claude id whose version cannot be read is taken to be adaptive-only (the safer mistake, see
 * claude-thinking.ts); an id that is not Claude's keeps the budget form.
 */
const FORMS: ReadonlyArray<readonly [model: string, form: ClaudeThinkingForm]> = [
  // Anthropic API
  ['claude-opus-4-7', 'adaptive'],
  ['claude-opus-4-8', 'adaptive'],
  ['claude-opus-4-10', 'adaptive'],
  ['claude-sonnet-5', 'adaptive'],
  ['claude-opus-5', 'adaptive'],
  ['claude-fable-5', 'adaptive'],
  ['claude-haiku-5-1', 'adaptive'],
  ['claude-opus-4-6', 'either'],
  ['claude-sonnet-4-6', 'either'],
  ['claude-sonnet-4-6-20260101', 'either'],
  ['claude-sonnet-4-5', 'budget'],
  ['claude-haiku-4-5-20251001', 'budget'],
  ['claude-opus-4-1', 'budget'],
  ['claude-opus-4-20250514', 'budget'],
  ['claude-3-7-sonnet-20250219', 'budget'],
  ['claude-3-5-sonnet-20241022', 'budget'],
  ['claude-2.1', 'budget'],
  // Vertex
  ['claude-opus-4-7@20260416', 'adaptive'],
  ['claude-sonnet-5@20260701', 'adaptive'],
  ['claude-opus-4-6@20260101', 'either'],
  ['claude-sonnet-4-5@20250929', 'budget'],
  ['claude-3-7-sonnet@20250219', 'budget'],
  // Bedrock: base ids, inference profiles, ARNs naming them
  ['anthropic.claude-opus-4-7', 'adaptive'],
  ['us.anthropic.claude-opus-4-7', 'adaptive'],
  ['global.anthropic.claude-opus-4-8-20260601-v1:0', 'adaptive'],
  ['global.anthropic.claude-sonnet-5-v1', 'adaptive'],
  ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-7', 'adaptive'],
  ['arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-fable-5-v1:0', 'adaptive'],
  ['anthropic.claude-opus-4-6-v1', 'either'],
  ['us.anthropic.claude-sonnet-4-6', 'either'],
  ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'budget'],
  ['us.anthropic.claude-3-5-haiku-20241022-v1:0', 'budget'],
  ['anthropic.claude-v2:1', 'budget'],
  // A Claude id without a readable version: most likely newer than this rule
  ['claude-mythos-preview', 'adaptive'],
  ['anthropic.claude-mythos-preview', 'adaptive'],
  ['claude-opus-latest', 'adaptive'],
  // Not Claude: an Anthropic-compatible server's model
  ['deepseek-chat', 'budget'],
  ['kimi-k2', 'budget'],
];

describe('claudeThinkingForm', () => {
  it.each(FORMS)('%s takes %s thinking', (model, form) => {
    expect(claudeThinkingForm(model)).toBe(form);
  });

  it('gives the same verdict when asked again for a model (worked out once per model id)', () => {
    expect([claudeThinkingForm('claude-opus-4-7'), claudeThinkingForm('claude-opus-4-7')]).toEqual(['adaptive', 'adaptive']);
    expect([claudeThinkingForm('claude-3-7-sonnet'), claudeThinkingForm('claude-3-7-sonnet')]).toEqual(['budget', 'budget']);
  });
});
