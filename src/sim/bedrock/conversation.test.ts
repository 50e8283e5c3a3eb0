import { describe, expect, it } from 'vitest';
import { conversationProblem, MUST_ALTERNATE, MUST_START_WITH_USER } from './conversation.js';

const user = (text: string) => ({ role: 'user', content: [{ text }] });
const assistant = (text: string) => ({ role: 'assistant', content: [{ text }] });
const use = (id: string) => ({ toolUse: { toolUseId: id, name: 'lookup', input: {} } });
const result = (id: string) => ({ toolResult: { toolUseId: id, content: [{ text: 'r' }] } });

describe('bedrock simulator: the shape of a Converse conversation', () => {
  it('takes a conversation that starts with the user, alternates and answers each toolUse in the next message', () => {
    const messages = [user('q'), { role: 'assistant', content: [use('t1'), use('t2')] }, { role: 'user', content: [result('t2'), result('t1'), { text: 'and?' }] }, assistant('a')];
    expect(conversationProblem(messages, true)).toBeUndefined();
  });

  it('refuses no messages, and a first message that is not the user\'s ("A conversation must start with a user message")', () => {
    expect(conversationProblem([], false)).toBe(MUST_START_WITH_USER);
    expect(conversationProblem(undefined, false)).toBe(MUST_START_WITH_USER);
    expect(conversationProblem([assistant('Hello.'), user('hi')], false)).toBe(MUST_START_WITH_USER);
  });

  it('refuses two messages of one role in a row ("A conversation must alternate between user and assistant roles")', () => {
    expect(conversationProblem([user('a'), user('b')], false)).toBe(MUST_ALTERNATE);
    expect(conversationProblem([user('a'), assistant('b'), assistant('c')], false)).toBe(MUST_ALTERNATE);
  });

  it('refuses a toolUse the next message does not answer, and toolResults no toolUse asked for', () => {
    const unanswered = conversationProblem([user('q'), { role: 'assistant', content: [use('t1'), use('t2')] }, { role: 'user', content: [result('t1')] }], false);
    expect(unanswered).toBe('Expected toolResult blocks at messages.2.content for the following Ids: t2');
    expect(conversationProblem([user('q'), { role: 'assistant', content: [use('t1')] }, user('never mind')], false)).toMatch(/Expected toolResult blocks at messages\.2\.content for the following Ids: t1/);
    expect(conversationProblem([{ role: 'user', content: [result('t1')] }], false)).toMatch(/number of toolResult blocks at messages\.0\.content exceeds the number of toolUse blocks of previous turn/);
  });

  it('refuses a toolUse left unanswered at the end for a Claude model (its prefill), not for others', () => {
    const ending = [user('q'), { role: 'assistant', content: [{ text: 'Looking.' }, use('t1')] }];
    expect(conversationProblem(ending, true)).toMatch(/messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: t1/);
    expect(conversationProblem(ending, false)).toBeUndefined();
  });
});
