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

describe('the answer engine honouring the tool choice', () => {
  const tools = [{ name: 'get_weather' }, { name: 'get_time' }];
  const calls = (input: Partial<ScriptInput>): string[] => (scriptAnswer({ ...base, tools, ...input }).toolCalls ?? []).map((c) => c.name);

  it("calls nothing with 'none', whatever the prompt asks", () => {
    expect(calls({ lastUser: 'call the tool', toolChoice: 'none' })).toEqual([]);
    expect(calls({ lastUser: 'call both tools', toolChoice: 'none' })).toEqual([]);
  });

  it("calls the first tool with 'required' when the prompt asks for none, and what the prompt asks otherwise", () => {
    expect(calls({ toolChoice: 'required' })).toEqual(['get_weather']);
    expect(calls({ lastUser: 'call both tools', toolChoice: 'required' })).toEqual(['get_weather', 'get_time']);
  });

  it('calls the named tool alone, whatever the prompt asks', () => {
    expect(calls({ toolChoice: { name: 'get_time' } })).toEqual(['get_time']);
    expect(calls({ lastUser: 'call both tools', toolChoice: { name: 'get_time' } })).toEqual(['get_time']);
  });

  it('makes one call at most without parallel calls', () => {
    expect(calls({ lastUser: 'call both tools', parallelToolCalls: false })).toEqual(['get_weather']);
  });

  it('forces a call again after tool results, under a new id, where the prompt alone would summarise them', () => {
    expect(calls({ lastUser: 'call the tool', toolResults: ['sunny'] })).toEqual([]);
    const first = scriptAnswer({ ...base, tools, toolChoice: 'required' }).toolCalls?.[0]?.id;
    const again = scriptAnswer({ ...base, tools, toolChoice: 'required', toolResults: ['sunny'] }).toolCalls?.[0]?.id;
    expect(again).toMatch(/^call_/);
    expect(again).not.toBe(first);
  });
});

describe('the answer engine answering in JSON', () => {
  it('wraps the scripted text in an object in JSON mode', () => {
    const answer = scriptAnswer({ ...base, format: { type: 'json_object' } });
    expect(JSON.parse(answer.chunks.join(''))).toEqual({ answer: 'Hello from m! You said: Hi there.' });
  });

  it("answers with the schema's minimal instance, in pieces split after spaces, commas and colons", () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } }, required: ['city', 'days'], additionalProperties: false };
    const answer = scriptAnswer({ ...base, format: { type: 'json_schema', schema } });
    expect(answer.chunks).toEqual(['{"city":', '"",', '"days":', '1}']);
    expect(answer.completionTokens).toBe(Math.ceil('{"city":"","days":1}'.length / 4));
  });

  it('still calls a tool the prompt asks for, and cuts the JSON at max tokens', () => {
    const format = { type: 'json_object' as const };
    expect(scriptAnswer({ ...base, tools: [{ name: 't' }], lastUser: 'call the tool', format }).finish).toBe('tool_calls');
    const cut = scriptAnswer({ ...base, format, maxTokens: 3 });
    expect(cut.finish).toBe('length');
    expect(cut.chunks.join('')).toBe('{"answer":');
  });
});
