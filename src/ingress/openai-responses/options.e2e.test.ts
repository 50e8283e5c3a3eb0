import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { FunctionTool, ResponseCreateParamsNonStreaming, ResponseInput } from 'openai/resources/responses/responses';
import type { SimServer } from '../../sim/server.js';
import { startOpenAIFront, type OpenAIFront } from '../testing/openai-front.js';

/*
 * The Responses request's option objects (`reasoning`, `text`, `text.format`) and the objects nested in
 * its input items and tools, through the real server with the official SDK: a member the API does not
 * know is its `unknown_parameter`, a value outside an enumeration its `invalid_value` (or
 * `invalid_type`), each naming the member, before any upstream is called; what passes is what the
 * Response echoes, nothing the client made up.
 */

const KEY = 'sk-options';

/** A request body the SDK's types would not let through, as a client without them sends it. */
const raw = (extra: Record<string, unknown>): ResponseCreateParamsNonStreaming => ({ model: 'chat', input: 'Hi', ...extra }) as ResponseCreateParamsNonStreaming;

const USER = { role: 'user', content: 'Hi' };
const CALL = { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{}' };
const OUTPUT = { type: 'function_call_output', call_id: 'call_1', output: '42' };
const TOOL = { type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} } };

/** The API's refusal of a member its type does not declare, at `param`. */
const unknown = (param: string): Record<string, string> => ({ param, code: 'unknown_parameter', message: `Unknown parameter: '${param}'.` });

const REFUSED: Array<[label: string, extra: Record<string, unknown>, error: Record<string, string>]> = [
  ['an unknown member of a message item', { input: [{ ...USER, zz_extra: 1 }] }, unknown('input[0].zz_extra')],
  ['an unknown member of an input_text part', { input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hi', zz_extra: 1 }] }] }, unknown('input[0].content[0].zz_extra')],
  ['an unknown member of a function_call item', { input: [USER, { ...CALL, zz_extra: 1 }, OUTPUT], tools: [TOOL] }, unknown('input[1].zz_extra')],
  ['an unknown member of a function_call_output item', { input: [USER, CALL, { ...OUTPUT, zz_extra: 1 }], tools: [TOOL] }, unknown('input[2].zz_extra')],
  ['an unknown member of a function tool', { tools: [{ ...TOOL, zz_extra: 1 }] }, unknown('tools[0].zz_extra')],
  // What the SDK's parse and stream helpers add to a call, refused by the API when handed back (openai-python#2374).
  ['the SDK helpers’ parsed_arguments on a function_call item', { input: [USER, { ...CALL, parsed_arguments: null }, OUTPUT], tools: [TOOL] }, unknown('input[1].parsed_arguments')],
  [
    'a reasoning summary that is not one of the API values',
    { reasoning: { summary: 'none' } },
    { param: 'reasoning.summary', code: 'invalid_value', message: "Invalid value: 'none'. Supported values are: 'concise', 'detailed', and 'auto'." },
  ],
  [
    'a reasoning summary that is not a string',
    { reasoning: { summary: 5 } },
    { param: 'reasoning.summary', code: 'invalid_type', message: "Invalid type for 'reasoning.summary': expected one of 'concise', 'detailed', or 'auto', but got an integer instead." },
  ],
  ['an unknown reasoning member', { reasoning: { effort: 'low', summery: 'auto' } }, { param: 'reasoning.summery', code: 'unknown_parameter', message: "Unknown parameter: 'reasoning.summery'." }],
  [
    'a text verbosity that is not one of the API values',
    { text: { verbosity: 'terse' } },
    { param: 'text.verbosity', code: 'invalid_value', message: "Invalid value: 'terse'. Supported values are: 'low', 'medium', and 'high'." },
  ],
  ['an unknown text member', { text: { fromat: { type: 'text' } } }, { param: 'text.fromat', code: 'unknown_parameter', message: "Unknown parameter: 'text.fromat'." }],
  ['a member the text format type does not have', { text: { format: { type: 'json_object', schema: {} } } }, { param: 'text.format.schema', code: 'unknown_parameter', message: "Unknown parameter: 'text.format.schema'." }],
];

describe('the Responses request options', () => {
  let front: OpenAIFront;
  let sim: SimServer;
  let openai: OpenAI;

  beforeAll(async () => {
    front = await startOpenAIFront(KEY);
    ({ sim, openai } = front);
  });

  afterAll(() => front.close());

  it.each(REFUSED)('refuses %s as the API does, naming the member, without calling the upstream', async (_label, extra, error) => {
    const before = sim.stats.total;
    const err = await openai.responses.create(raw(extra)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({ type: 'invalid_request_error', ...error });
    expect(sim.stats.total).toBe(before);
  });

  it('takes input items and a tool holding members the SDK declares that the door has no use for', async () => {
    const input: ResponseInput = [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Look up hi.', prompt_cache_breakpoint: { mode: 'explicit' } }], phase: null },
      { type: 'function_call', id: 'fc_1', status: 'completed', call_id: 'call_1', name: 'lookup', arguments: '{}', caller: { type: 'direct' } },
      { type: 'function_call_output', id: 'fco_1', status: 'completed', call_id: 'call_1', output: [{ type: 'input_text', text: '42', prompt_cache_breakpoint: null }] },
    ];
    const tools: FunctionTool[] = [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} }, strict: false, defer_loading: false, allowed_callers: ['direct'], output_schema: null }];
    const r = await openai.responses.create({ model: 'chat', input, tools });
    expect(r.status).toBe('completed');
    expect(r.tools).toEqual([{ type: 'function', name: 'lookup', description: null, parameters: { type: 'object', properties: {} }, strict: false }]);
  });

  it('takes every member the API documents and echoes the summary and format it was given', async () => {
    const format = { type: 'json_schema' as const, name: 'answer', schema: { type: 'object' }, strict: false, description: 'The answer.' };
    const r = await openai.responses.create({
      model: 'chat',
      input: 'Answer in JSON.',
      reasoning: { effort: 'low', summary: 'auto', generate_summary: null },
      text: { format, verbosity: 'low' },
    });
    expect(r.status).toBe('completed');
    expect(r.reasoning).toEqual({ effort: 'low', summary: 'auto' });
    expect(r.text?.format).toEqual(format);
  });
});
