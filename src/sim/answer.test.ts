import { describe, expect, it } from 'vitest';
import { readTurns, scriptAnswer, type ScriptInput } from './answer.js';

const base: ScriptInput = { model: 'm', system: '', lastUser: 'Hi there', toolResults: [], promptText: 'Hi there', images: 0, tools: [], stop: [] };

describe('the answer engine continuing earlier assistant text', () => {
  it('goes on after as many words as the earlier text has, adding the space a trimmed prefix left out', () => {
    expect(scriptAnswer({ ...base, continues: 'Hello from m!' }).chunks.join('')).toBe(' You said: Hi there.');
    expect(scriptAnswer({ ...base, continues: 'Hello from m! ' }).chunks.join('')).toBe('You said: Hi there.');
    // Another model's words are counted, not matched: the answer goes on where that text stopped.
    expect(scriptAnswer({ ...base, model: 'other', continues: 'Hello from m! You' }).chunks.join('')).toBe(' said: Hi there.');
  });

  it('counts only the continuation as completion', () => {
    expect(scriptAnswer({ ...base, continues: 'Hello from m! You said:' }).completionTokens).toBe(3);
  });
});

describe('readTurns', () => {
  const asked = { role: 'user' as const, text: 'Hi there' };
  const partial = { role: 'assistant' as const, text: 'Hello from' };

  it('continues a final assistant turn only where the API takes it as a prefill', () => {
    expect(readTurns([asked, partial], true)).toEqual({ lastUser: 'Hi there', continues: 'Hello from' });
    expect(readTurns([asked, partial], false)).toEqual({ lastUser: 'Hi there' });
  });

  it('follows a continuation instruction after an assistant turn, answering the question before it', () => {
    const instruction = { role: 'user' as const, text: 'Continue exactly where you stopped, without repeating anything.' };
    expect(readTurns([asked, partial, instruction], false)).toEqual({ lastUser: 'Hi there', continues: 'Hello from' });
  });
});
