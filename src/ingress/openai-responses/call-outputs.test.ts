import { describe, expect, it } from 'vitest';
import type { Message } from '../../core/types.js';
import { checkCallOutputs } from './call-outputs.js';

const user: Message = { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] };
const asks = (...ids: string[]): Message => ({ role: 'assistant', content: ids.map((id) => ({ type: 'tool-call' as const, id, name: 'weather', arguments: '{}' })) });
const answers = (id: string): Message => ({ role: 'tool', toolCallId: id, content: [{ type: 'text', text: 'sunny' }] });

describe('function calls and their outputs in a Responses conversation', () => {
  it('takes every call answered, in any order after it', () => {
    expect(() => checkCallOutputs([user, asks('call_a', 'call_b'), answers('call_b'), answers('call_a')])).not.toThrow();
    expect(() => checkCallOutputs([user])).not.toThrow();
  });

  it('refuses an output no earlier call asked for, in the API\'s words', () => {
    expect(() => checkCallOutputs([user, answers('call_x'), asks('call_x')])).toThrow(
      expect.objectContaining({ kind: 'invalid_request', param: 'input', message: 'No tool call found for function call output with call_id call_x.' }),
    );
  });

  it('refuses a call left without an output, at the end or before later turns', () => {
    const unanswered = expect.objectContaining({ kind: 'invalid_request', param: 'input', message: 'No tool output found for function call call_b.' });
    expect(() => checkCallOutputs([user, asks('call_a', 'call_b'), answers('call_a')])).toThrow(unanswered);
    expect(() => checkCallOutputs([user, asks('call_b'), user])).toThrow(unanswered);
  });
});
