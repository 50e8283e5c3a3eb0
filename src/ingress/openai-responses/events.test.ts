import { describe, expect, it } from 'vitest';
import { ResponseEvents } from './events.js';
import type { ChatResponse } from '../../core/types.js';
import { outputItems, ResponseIds, type ReasoningShown, type ResponseFrame } from './encode.js';
import { decodeResponsesRequest } from './decode.js';
import { sealReasoning } from './reasoning.js';

/** A request with `reasoning.summary` set, with and without `include: ["reasoning.encrypted_content"]`. */
const SUMMARIES: ReasoningShown = { encrypted: false, summaries: true };
const SHOWN_ALL: ReasoningShown = { encrypted: true, summaries: true };

const frame: ResponseFrame = { id: 'resp_1', createdAt: 1, model: 'm', echo: decodeResponsesRequest({ model: 'm', input: 'x' }).echo, stored: false };

function parse(raw: string): Array<Record<string, unknown>> {
  return raw
    .split('\n\n')
    .filter((f) => f !== '')
    .map((f) => {
      const [event, data] = f.split('\n');
      const json = JSON.parse((data ?? '').slice('data: '.length)) as Record<string, unknown>;
      expect(event).toBe(`event: ${String(json.type)}`);
      return json;
    });
}

const answer = (content: ChatResponse['content']): ChatResponse => ({
  id: 'r',
  model: 'm',
  created: 1,
  content,
  finishReason: 'stop',
  usage: { prompt: 1, completion: 1, cachedRead: 0, cachedWrite: 0, reasoning: 0, total: 2 },
});

describe('Responses stream events', () => {
  it('streams one item at a time: reasoning summary, then the message, then each function call, then completed', () => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'), SUMMARIES);
    e.start();
    e.reasoning('Let me ');
    e.reasoning('think.');
    e.text('Hi');
    e.toolCall(0, 'call_1', 'f', '{"a"');
    e.toolCall(0, undefined, undefined, ':1}');
    e.toolCall(1, 'call_2', 'g', '{}');
    e.finish('tool_calls', { input_tokens: 1 });
    const events = parse(e.take());
    expect(events.map((x) => `${String(x.type)}@${String(x.output_index ?? '-')}`)).toEqual([
      'response.created@-',
      'response.in_progress@-',
      'response.output_item.added@0',
      'response.reasoning_summary_part.added@0',
      'response.reasoning_summary_text.delta@0',
      'response.reasoning_summary_text.delta@0',
      'response.reasoning_summary_text.done@0',
      'response.reasoning_summary_part.done@0',
      'response.output_item.done@0',
      'response.output_item.added@1',
      'response.content_part.added@1',
      'response.output_text.delta@1',
      'response.output_text.done@1',
      'response.content_part.done@1',
      'response.output_item.done@1',
      'response.output_item.added@2',
      'response.function_call_arguments.delta@2',
      'response.function_call_arguments.delta@2',
      'response.function_call_arguments.done@2',
      'response.output_item.done@2',
      'response.output_item.added@3',
      'response.function_call_arguments.delta@3',
      'response.function_call_arguments.done@3',
      'response.output_item.done@3',
      'response.completed@-',
    ]);
    expect(events.map((x) => x.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[18]).toMatchObject({ arguments: '{"a":1}', name: 'f' });
    const done = events.at(-1)?.response as { output: unknown[]; status: string; usage: unknown };
    expect(done.status).toBe('completed');
    expect(done.output).toEqual([
      { id: 'rs_abc01', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Let me think.' }] },
      { id: 'msg_abc02', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [], logprobs: [] }] },
      { id: 'fc_abc03', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
      { id: 'fc_abc04', type: 'function_call', status: 'completed', call_id: 'call_2', name: 'g', arguments: '{}' },
    ]);
  });

  it.each([
    ['with', { encrypted: true, summaries: false }],
    ['without', { encrypted: false, summaries: false }],
  ] as const)('without reasoning.summary (%s encrypted content), adds and completes each reasoning item with summary: [] and no summary events, as the whole answer writes it', (_name, shown) => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'), shown);
    e.start();
    e.reasoning('Let me ');
    e.reasoning('think.');
    e.signature('sig-1', 'anthropic');
    e.text('Hi');
    e.finish('stop', null);
    const events = parse(e.take());
    expect(events.filter((x) => x.output_index === 0).map((x) => x.type)).toEqual(['response.output_item.added', 'response.output_item.done']);
    expect(events.some((x) => String(x.type).startsWith('response.reasoning_summary'))).toBe(false);
    const output = (events.at(-1)?.response as { output: unknown[] }).output;
    expect(output[0]).toEqual(shown.encrypted ? { id: 'rs_abc01', type: 'reasoning', summary: [], encrypted_content: expect.stringMatching(/^swy1\./) } : { id: 'rs_abc01', type: 'reasoning', summary: [] });
    expect(output).toEqual(outputItems(answer([{ type: 'reasoning', text: 'Let me think.', signature: 'sig-1', provider: 'anthropic' }, { type: 'text', text: 'Hi' }]), new ResponseIds('abc'), shown));
  });

  it('writes redacted reasoning and a signature with no text (Claude thinking with display omitted) as items with summary: [] when no encrypted content was asked for, as the whole answer writes them', () => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'), SUMMARIES);
    e.start();
    e.opaqueReasoning(undefined);
    e.signature('sig-omitted', 'anthropic');
    e.toolCall(0, 'c1', 'f', '{}');
    e.finish('tool_calls', null);
    const events = parse(e.take());
    const output = (events.at(-1)?.response as { output: unknown[] }).output;
    expect(output).toEqual([
      { id: 'rs_abc01', type: 'reasoning', summary: [] },
      { id: 'rs_abc02', type: 'reasoning', summary: [] },
      { id: 'fc_abc03', type: 'function_call', status: 'completed', call_id: 'c1', name: 'f', arguments: '{}' },
    ]);
    const parts: ChatResponse['content'] = [
      { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
      { type: 'reasoning', text: '', signature: 'sig-omitted', provider: 'anthropic' },
      { type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' },
    ];
    expect(output).toEqual(outputItems({ ...answer(parts), finishReason: 'tool_calls' }, new ResponseIds('abc'), SUMMARIES));
  });

  it('starts a new reasoning item after a sealed one, carries the encrypted content, and writes redacted reasoning as a whole item', () => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'), SHOWN_ALL);
    e.start();
    e.reasoning('One.');
    e.signature('sig-1', 'anthropic');
    e.reasoning('Two.');
    e.opaqueReasoning('swy1.hidden');
    e.text('Hi');
    e.finish('stop', null);
    const events = parse(e.take());
    const done = events.filter((x) => x.type === 'response.output_item.done').map((x) => x.item);
    expect(done).toEqual([
      { id: 'rs_abc01', type: 'reasoning', summary: [{ type: 'summary_text', text: 'One.' }], encrypted_content: sealReasoning({ type: 'reasoning', text: '', signature: 'sig-1', provider: 'anthropic' }) },
      // Reasoning no signature sealed carries its text as its encrypted content: always a string when asked for.
      { id: 'rs_abc02', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Two.' }], encrypted_content: sealReasoning({ type: 'reasoning', text: 'Two.' }) },
      { id: 'rs_abc03', type: 'reasoning', summary: [], encrypted_content: 'swy1.hidden' },
      { id: 'msg_abc04', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [], logprobs: [] }] },
    ]);
    expect(events.filter((x) => x.output_index === 2).map((x) => x.type)).toEqual(['response.output_item.added', 'response.output_item.done']);
  });

  describe('reasoning that no upstream signed (an OpenAI-compatible server\'s reasoning_content)', () => {
    const unsigned: ChatResponse['content'] = [{ type: 'reasoning', text: 'Think it over.', provider: 'openai-compatible' }, { type: 'text', text: 'Hi' }];

    function streamed(shown: ReasoningShown): unknown[] {
      const e = new ResponseEvents(frame, new ResponseIds('abc'), shown);
      e.start();
      e.reasoning('Think ', 'openai-compatible');
      e.reasoning('it over.', 'openai-compatible');
      e.text('Hi');
      const done = e.finish('stop', null) as { output: unknown[] };
      return done.output;
    }

    it('carries a string encrypted_content when include asks for it, never none or null, in a stream as in a whole answer', () => {
      for (const shown of [SHOWN_ALL, { encrypted: true, summaries: false }]) {
        const whole = outputItems(answer(unsigned), new ResponseIds('abc'), shown);
        expect(whole[0]).toMatchObject({ type: 'reasoning', encrypted_content: expect.stringMatching(/^swy1\./) });
        expect(streamed(shown)).toEqual(whole);
      }
      // Without include, no item carries it (include adds a field, never an item).
      expect(outputItems(answer(unsigned), new ResponseIds('abc'), SUMMARIES)[0]).toEqual({ id: 'rs_abc01', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Think it over.' }] });
      expect(streamed(SUMMARIES)[0]).not.toHaveProperty('encrypted_content');
    });

    it('brings the reasoning back when the item is handed back statelessly without its summary, as the API\'s encrypted content does', () => {
      const items = outputItems(answer(unsigned), new ResponseIds('abc'), { encrypted: true, summaries: false });
      expect(items[0]).toMatchObject({ summary: [] });
      const again = decodeResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'x' }, ...items] });
      expect(again.input[1]).toEqual({ role: 'assistant', content: [{ type: 'reasoning', text: 'Think it over.', provider: 'openai-compatible' }, { type: 'text', text: 'Hi' }] });
    });
  });

  describe('a signature of the answer (Gemini signs its text or its first call)', () => {
    const thought: ChatResponse['content'][number] = { type: 'reasoning', text: 'Plan.', provider: 'google' };
    const signed = (text: string): ChatResponse['content'] => [thought, { type: 'text', text: 'Hello ' }, { type: 'reasoning', text: '', signature: 'gsig', provider: 'google' }, { type: 'text', text: text }];

    function streamed(encrypted: boolean, then: (e: ResponseEvents) => void): unknown[] {
      const e = new ResponseEvents(frame, new ResponseIds('abc'), { encrypted, summaries: true });
      e.start();
      e.reasoning('Plan.');
      e.signature('tsig', 'google');
      e.text('Hello ');
      e.signature('gsig', 'google');
      then(e);
      e.finish('stop', null);
      const done = parse(e.take()).at(-1)?.response as { output: unknown[] };
      return done.output;
    }

    it('never splits the message: it is written after it, in a stream as in a whole answer', () => {
      const stream = streamed(true, (e) => e.text('world.'));
      const whole = outputItems(answer([{ ...thought, signature: 'tsig' }, ...signed('world.').slice(1)]), new ResponseIds('abc'), SHOWN_ALL);
      expect(stream).toEqual(whole);
      expect(whole.map((item) => item.type)).toEqual(['reasoning', 'message', 'reasoning']);
      expect(whole[1]).toMatchObject({ content: [{ text: 'Hello world.' }] });
    });

    it('is still an item, with summary: [] and no encrypted content, when the client did not ask for encrypted content (include adds a field, never an item)', () => {
      const stream = streamed(false, (e) => e.text('world.'));
      expect(stream).toEqual(outputItems(answer([{ ...thought, signature: 'tsig' }, ...signed('world.').slice(1)]), new ResponseIds('abc'), SUMMARIES));
      expect(stream.map((item) => (item as { type: string }).type)).toEqual(['reasoning', 'message', 'reasoning']);
      expect(stream[2]).toEqual({ id: 'rs_abc03', type: 'reasoning', summary: [] });
    });

    it('decodes back before the text it signs, so Gemini gets it on that text', () => {
      const items = outputItems(answer(signed('world.')), new ResponseIds('abc'), SHOWN_ALL);
      const again = decodeResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'x' }, ...items] });
      expect(again.input[1]).toEqual({
        role: 'assistant',
        // The thought had no signature: its text comes back sealed with whose it is, as a stored conversation keeps it.
        content: [{ type: 'reasoning', text: 'Plan.', provider: 'google' }, { type: 'reasoning', text: '', signature: 'gsig', provider: 'google' }, { type: 'text', text: 'Hello world.' }],
      });
    });

    it('stays a whole item before the call it signs', () => {
      const stream = streamed(true, (e) => e.toolCall(0, 'c1', 'f', '{}'));
      expect(stream.map((item) => (item as { type: string }).type)).toEqual(['reasoning', 'message', 'reasoning', 'function_call']);
      const whole = outputItems(
        answer([{ ...thought, signature: 'tsig' }, { type: 'text', text: 'Hello ' }, { type: 'reasoning', text: '', signature: 'gsig', provider: 'google' }, { type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' }]),
        new ResponseIds('abc'),
        SHOWN_ALL,
      );
      expect(stream).toEqual(whole);
    });
  });

  it('gives an empty answer its empty message, as the whole answer does', () => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'));
    e.start();
    e.finish('stop', null);
    const all = parse(e.take());
    expect(all.map((x) => x.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
    ]);
    const output = (all.at(-1)?.response as { output: unknown[] }).output;
    expect(output).toEqual(outputItems(answer([]), new ResponseIds('abc'), SUMMARIES));
  });

  it("streams a refusal as the message's refusal part: content_part.added, refusal.delta per piece, refusal.done, content_part.done, as the whole answer writes it", () => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'));
    e.start();
    e.refusal("I'm sorry,");
    e.refusal(" I can't help with that.");
    e.finish('stop', null);
    const all = parse(e.take());
    const item = { item_id: 'msg_abc01', output_index: 0, content_index: 0 };
    expect(all.slice(2)).toEqual([
      { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: 'msg_abc01', type: 'message', status: 'in_progress', role: 'assistant', content: [] } },
      { type: 'response.content_part.added', sequence_number: 3, ...item, part: { type: 'refusal', refusal: '' } },
      { type: 'response.refusal.delta', sequence_number: 4, ...item, delta: "I'm sorry," },
      { type: 'response.refusal.delta', sequence_number: 5, ...item, delta: " I can't help with that." },
      { type: 'response.refusal.done', sequence_number: 6, ...item, refusal: "I'm sorry, I can't help with that." },
      { type: 'response.content_part.done', sequence_number: 7, ...item, part: { type: 'refusal', refusal: "I'm sorry, I can't help with that." } },
      expect.objectContaining({ type: 'response.output_item.done', output_index: 0 }),
      expect.objectContaining({ type: 'response.completed' }),
    ]);
    const response = all.at(-1)?.response as { status: string; output: unknown[] };
    expect(response.status).toBe('completed');
    expect(response.output).toEqual(outputItems({ ...answer([]), refusal: "I'm sorry, I can't help with that." }, new ResponseIds('abc'), SUMMARIES));
  });

  it('puts a refusal after text in the same message as its next content part', () => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'));
    e.start();
    e.text('Well.');
    e.refusal('No.');
    e.finish('stop', null);
    const all = parse(e.take());
    expect(all.slice(3, -2).map((x) => `${String(x.type)}#${String(x.content_index)}`)).toEqual([
      'response.content_part.added#0', 'response.output_text.delta#0', 'response.output_text.done#0', 'response.content_part.done#0',
      'response.content_part.added#1', 'response.refusal.delta#1', 'response.refusal.done#1', 'response.content_part.done#1',
    ]);
    const output = (all.at(-1)?.response as { output: unknown[] }).output;
    expect(output).toEqual(outputItems({ ...answer([{ type: 'text', text: 'Well.' }]), refusal: 'No.' }, new ResponseIds('abc'), SUMMARIES));
  });

  it('ends a cut answer with response.incomplete and the reason', () => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'));
    e.start();
    e.text('Hi');
    e.finish('length', null);
    const last = parse(e.take()).at(-1);
    expect(last).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
  });

  it('ends a broken stream with an error event, then response.failed holding what was streamed', () => {
    const e = new ResponseEvents(frame, new ResponseIds('abc'));
    e.start();
    e.text('Half an ans');
    e.take();
    e.fail({ type: 'server_error', code: 'server_error', message: 'Upstream failed.', param: null }, { code: 'server_error', message: 'Upstream failed.' });
    const [error, failed, ...rest] = parse(e.take());
    expect(rest).toEqual([]);
    // Flat as documented, nested as the live API sends it.
    expect(error).toEqual({
      type: 'error',
      sequence_number: 5,
      code: 'server_error',
      message: 'Upstream failed.',
      param: null,
      error: { type: 'server_error', code: 'server_error', message: 'Upstream failed.', param: null },
    });
    expect(failed).toMatchObject({
      type: 'response.failed',
      sequence_number: 6,
      response: {
        status: 'failed',
        error: { code: 'server_error', message: 'Upstream failed.' },
        incomplete_details: null,
        usage: null,
        output: [{ type: 'message', status: 'incomplete', content: [{ type: 'output_text', text: 'Half an ans' }] }],
      },
    });
  });
});
