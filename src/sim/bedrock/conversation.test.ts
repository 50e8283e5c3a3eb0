import { describe, expect, it } from 'vitest';
import { conversationProblem, MUST_ALTERNATE, MUST_START_WITH_USER } from './conversation.js';

const user = (text: string) => ({ role: 'user', content: [{ text }] });
const assistant = (text: string) => ({ role: 'assistant', content: [{ text }] });
const use = (id: string) => ({ toolUse: { toolUseId: id, name: 'lookup', input: {} } });
const result = (id: string) => ({ toolResult: { toolUseId: id, content: [{ text: 'r' }] } });

const CLAUDE = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
const NOVA = 'amazon.nova-micro-v1:0';

describe('bedrock simulator: the shape of a Converse conversation', () => {
  it('takes a conversation that starts with the user, alternates and answers each toolUse in the next message', () => {
    const messages = [user('q'), { role: 'assistant', content: [use('t1'), use('t2')] }, { role: 'user', content: [result('t2'), result('t1'), { text: 'and?' }] }, assistant('a')];
    expect(conversationProblem(messages, CLAUDE)).toBeUndefined();
  });

  it('refuses no messages on every model ("A conversation must start with a user message")', () => {
    expect(conversationProblem([], CLAUDE)).toBe(MUST_START_WITH_USER);
    expect(conversationProblem(undefined, NOVA)).toBe(MUST_START_WITH_USER);
  });

  it('refuses a first message that is not the user\'s on Nova, Llama, Mistral and the like, and takes it on Claude and Qwen', () => {
    const greeted = [assistant('Hello.'), user('hi')];
    for (const model of [NOVA, 'meta.llama3-70b-instruct-v1:0', 'mistral.mistral-large-2407-v1:0', 'cohere.command-r-plus-v1:0']) {
      expect(conversationProblem(greeted, model)).toBe(MUST_START_WITH_USER);
    }
    for (const model of [CLAUDE, 'anthropic.claude-sonnet-4-5-20250929-v1:0', 'qwen.qwen3-32b-v1:0']) expect(conversationProblem(greeted, model)).toBeUndefined();
  });

  it('refuses two messages of one role in a row ("A conversation must alternate between user and assistant roles")', () => {
    expect(conversationProblem([user('a'), user('b')], NOVA)).toBe(MUST_ALTERNATE);
    expect(conversationProblem([user('a'), assistant('b'), assistant('c')], NOVA)).toBe(MUST_ALTERNATE);
  });

  it('refuses a toolUse the next message does not answer, and toolResults no toolUse asked for', () => {
    const unanswered = conversationProblem([user('q'), { role: 'assistant', content: [use('t1'), use('t2')] }, { role: 'user', content: [result('t1')] }], NOVA);
    expect(unanswered).toBe('Expected toolResult blocks at messages.2.content for the following Ids: t2');
    expect(conversationProblem([user('q'), { role: 'assistant', content: [use('t1')] }, user('never mind')], NOVA)).toMatch(/Expected toolResult blocks at messages\.2\.content for the following Ids: t1/);
    expect(conversationProblem([{ role: 'user', content: [result('t1')] }], NOVA)).toMatch(/number of toolResult blocks at messages\.0\.content exceeds the number of toolUse blocks of previous turn/);
  });

  it('refuses a toolUse left unanswered at the end for a Claude model (its prefill), not for others', () => {
    const ending = [user('q'), { role: 'assistant', content: [{ text: 'Looking.' }, use('t1')] }];
    expect(conversationProblem(ending, CLAUDE)).toMatch(/messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: t1/);
    expect(conversationProblem(ending, NOVA)).toBeUndefined();
  });
});
