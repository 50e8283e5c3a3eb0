import { describe, expect, it } from 'vitest';
import { AnswerParts, answerTurn } from './answer.js';

describe('AnswerParts', () => {
  it('collects a streamed answer into whole parts: signed reasoning, redacted reasoning, text, tool calls by index', () => {
    const a = new AnswerParts();
    a.add({ type: 'start', id: 'x' });
    a.add({ type: 'reasoning', delta: 'Pl', provider: 'anthropic' });
    a.add({ type: 'reasoning', delta: 'an.', signature: 'sig', provider: 'anthropic' });
    a.add({ type: 'reasoning', delta: 'More.', provider: 'anthropic' });
    a.add({ type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' });
    a.add({ type: 'text', delta: 'Hi ' });
    a.add({ type: 'text', delta: 'there.' });
    a.add({ type: 'tool-call', index: 0, id: 'c1', name: 'f', argumentsDelta: '{"a"' });
    a.add({ type: 'tool-call', index: 1, id: 'c2', name: 'g', argumentsDelta: '{}' });
    a.add({ type: 'tool-call', index: 0, argumentsDelta: ':1}' });
    a.add({ type: 'finish', finishReason: 'tool_calls' });
    expect(a.parts).toEqual([
      { type: 'reasoning', text: 'Plan.', signature: 'sig', provider: 'anthropic' },
      { type: 'reasoning', text: 'More.', provider: 'anthropic' },
      { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
      { type: 'text', text: 'Hi there.' },
      { type: 'tool-call', id: 'c1', name: 'f', arguments: '{"a":1}' },
      { type: 'tool-call', id: 'c2', name: 'g', arguments: '{}' },
    ]);
  });

  it("keeps a streamed refusal's words and stores them as the turn's text, as a refusal part handed back is read", () => {
    const a = new AnswerParts();
    a.add({ type: 'refusal', delta: "I can't" });
    a.add({ type: 'refusal', delta: ' help.' });
    a.add({ type: 'finish', finishReason: 'stop' });
    expect(a.parts).toEqual([]);
    expect(answerTurn(a.parts, a.refusal)).toEqual({ role: 'assistant', content: [{ type: 'text', text: "I can't help." }] });
  });

  it('stores an empty answer as one empty text part, since an assistant turn is never empty', () => {
    expect(answerTurn([])).toEqual({ role: 'assistant', content: [{ type: 'text', text: '' }] });
  });
});
