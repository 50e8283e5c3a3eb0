import { describe, expect, it } from 'vitest';
import type { Message } from '../../../core/types.js';
import { checkClaudePrefill, claudeTakesPrefill, claudeVersion } from './claude-prefill.js';

const user = (t: string): Message => ({ role: 'user', content: [{ type: 'text', text: t }] });
const assistant = (t: string): Message => ({ role: 'assistant', content: [{ type: 'text', text: t }] });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/**
 * Which models take a final assistant message (a prefill): Claude 4.6 and later refuse one, on every
 * host; every Claude before takes one; a Claude id whose version cannot be read is taken to refuse
 * (the safer mistake, see claude-prefill.ts); an id that is not Claude's is not this rule's.
 */
const VERDICTS: ReadonlyArray<readonly [model: string, version: string | undefined, verdict: 'takes' | 'refuses']> = [
  // Anthropic API
  ['claude-opus-4-6', '4.6', 'refuses'],
  ['claude-sonnet-4-6', '4.6', 'refuses'],
  ['claude-sonnet-4-6-20260101', '4.6', 'refuses'],
  ['claude-opus-4-7', '4.7', 'refuses'],
  ['claude-opus-4-8', '4.8', 'refuses'],
  ['claude-sonnet-5', '5.0', 'refuses'],
  ['claude-haiku-5-1', '5.1', 'refuses'],
  ['claude-opus-4-10', '4.10', 'refuses'],
  ['claude-sonnet-4-5', '4.5', 'takes'],
  ['claude-sonnet-4-5-20250929', '4.5', 'takes'],
  ['claude-opus-4-1', '4.1', 'takes'],
  ['claude-opus-4-20250514', '4.0', 'takes'],
  ['claude-3-5-sonnet-20241022', '3.5', 'takes'],
  ['claude-3-7-sonnet', '3.7', 'takes'],
  ['claude-3-7-sonnet-latest', '3.7', 'takes'],
  ['claude-3-opus-20240229', '3.0', 'takes'],
  ['claude-2.1', '2.1', 'takes'],
  ['claude-instant-1.2', '1.2', 'takes'],
  // Vertex
  ['claude-opus-4-6@20260101', '4.6', 'refuses'],
  ['claude-sonnet-4-6@20260217', '4.6', 'refuses'],
  ['claude-haiku-4-5@20251001', '4.5', 'takes'],
  ['claude-3-5-sonnet-v2@20241022', '3.5', 'takes'],
  // Bedrock: base ids, inference profiles, ARNs naming them
  ['anthropic.claude-opus-4-6-v1', '4.6', 'refuses'],
  ['us.anthropic.claude-opus-4-6-v1:0', '4.6', 'refuses'],
  ['global.anthropic.claude-sonnet-5-v1', '5.0', 'refuses'],
  ['global.anthropic.claude-sonnet-4-6', '4.6', 'refuses'],
  ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-7', '4.7', 'refuses'],
  ['arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6-v1:0', '4.6', 'refuses'],
  ['anthropic.claude-opus-4-5-20251101-v1:0', '4.5', 'takes'],
  ['us.anthropic.claude-3-5-haiku-20241022-v1:0', '3.5', 'takes'],
  ['apac.anthropic.claude-3-7-sonnet-20250219-v1:0', '3.7', 'takes'],
  ['anthropic.claude-v2:1', '2.0', 'takes'],
  ['anthropic.claude-instant-v1', '1.0', 'takes'],
  // A Claude id without a readable version: most likely a model newer than this rule
  ['claude-opus-latest', undefined, 'refuses'],
  ['us.anthropic.claude-next-v1:0', undefined, 'refuses'],
  // Not Claude: an Anthropic-compatible server's model, Bedrock's others
  ['amazon.nova-pro-v1:0', undefined, 'takes'],
  ['deepseek-chat', undefined, 'takes'],
];

describe('claudeTakesPrefill', () => {
  it.each(VERDICTS)('%s is Claude %s and %s a prefill', (model, version, verdict) => {
    const parsed = claudeVersion(model);
    expect(parsed === undefined ? undefined : `${parsed.major}.${parsed.minor}`).toBe(version);
    expect(claudeTakesPrefill(model)).toBe(verdict === 'takes');
  });

  it('gives the same verdict when asked again for a model (worked out once per model id)', () => {
    expect([claudeTakesPrefill('claude-sonnet-5'), claudeTakesPrefill('claude-sonnet-5')]).toEqual([false, false]);
    expect([claudeTakesPrefill('claude-3-7-sonnet'), claudeTakesPrefill('claude-3-7-sonnet')]).toEqual([true, true]);
  });
});

describe('checkClaudePrefill', () => {
  it('refuses a conversation ending on the assistant for a model without prefill: a fallbackable, unsent 400 naming that message', () => {
    const messages = [{ role: 'system', content: [{ type: 'text', text: 'be brief' }] } as Message, user('hi'), assistant('Hello')];
    expect(thrown(() => checkClaudePrefill(messages, 'assistant', 'claude-opus-4-6'))).toMatchObject({
      kind: 'invalid_request',
      status: 400,
      param: 'messages[2]',
      fallbackable: true,
      unsent: true,
      message: "'messages[2]' is a final assistant message (a prefill), which claude-opus-4-6 does not take: the conversation must end with a user message.",
    });
  });

  it('lets the same conversation through to a model that continues it, and any conversation whose turns end on the user', () => {
    const messages = [user('hi'), assistant('Hello')];
    expect(() => checkClaudePrefill(messages, 'assistant', 'claude-haiku-4-5')).not.toThrow();
    expect(() => checkClaudePrefill([...messages, user('go on')], 'user', 'claude-opus-4-6')).not.toThrow();
  });
});
