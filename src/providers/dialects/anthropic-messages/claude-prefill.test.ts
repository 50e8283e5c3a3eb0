import { describe, expect, it } from 'vitest';
import type { Message } from '../../../core/types.js';
import { checkClaudePrefill, claudeTakesPrefill } from './claude-prefill.js';

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

describe('claudeTakesPrefill', () => {
  it.each([
    'claude-opus-4-6',
    'claude-sonnet-4-6',
    'claude-opus-4-7',
    'claude-opus-4-8',
    'claude-sonnet-5',
    'claude-sonnet-4-6@20260217',
    'anthropic.claude-opus-4-6-v1',
    'us.anthropic.claude-opus-4-6-v1',
    'global.anthropic.claude-sonnet-4-6',
    'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-7',
  ])('refuses a prefill on %s (Claude 4.6 and later, on every host)', (model) => {
    expect(claudeTakesPrefill(model)).toBe(false);
  });

  it.each([
    'claude-sonnet-4-5',
    'claude-sonnet-4-5-20250929',
    'claude-haiku-4-5@20251001',
    'claude-opus-4-1',
    'claude-opus-4-20250514',
    'claude-3-7-sonnet-latest',
    'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    'anthropic.claude-opus-4-5-20251101-v1:0',
    'amazon.nova-pro-v1:0',
  ])('takes a prefill on %s (a date after the major version is no minor version)', (model) => {
    expect(claudeTakesPrefill(model)).toBe(true);
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
