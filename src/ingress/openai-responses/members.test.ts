import { beforeAll, describe, expect, it } from 'vitest';
import type ts from 'typescript';
import { GatewayError } from '../../core/errors.js';
import { openAIErrorBody } from '../openai-chat/errors.js';
import { readSdkTypes, type SdkTypes } from '../testing/sdk-shapes.js';
import { decodeResponsesRequest } from './decode.js';
import { sealReasoning } from './reasoning.js';

/*
 * Every object a Responses request holds is checked against the official SDK's request types: each
 * member the SDK declares for it is taken (the full examples below must hold exactly the members the
 * SDK's .d.ts declares, read with the TypeScript compiler, so an SDK upgrade that adds one fails here
 * first), and any other member is the API's 400 unknown_parameter naming its exact path.
 */

type Obj = Record<string, unknown>;

const USER = { role: 'user', content: 'Hi' };
const TOOL = { type: 'function', name: 'lookup', parameters: { type: 'object', properties: { word: { type: 'string' } } } };
const CALL = { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"word":"hi"}' };
const OUTPUT = { type: 'function_call_output', call_id: 'call_1', output: '42' };
const BREAKPOINT = { mode: 'explicit' };
const SEALED = sealReasoning({ type: 'reasoning', text: 'Plan.', signature: 'sig', provider: 'anthropic' });

interface Shape {
  /** What the SDK declares for it: a type, and the `type` tag of the union member(s) meant. */
  sdk: (t: SdkTypes) => [ts.Type, string?];
  /** An example holding every member the SDK declares, each with a value the API takes. */
  full: Obj;
  /** A request with `obj` in the shape's place... */
  body: (obj: Obj) => Obj;
  /** ...which is this path. */
  path: string;
}

const input = (...items: unknown[]): Obj => ({ model: 'm', input: items });
const inUser = (part: Obj): Obj => input({ role: 'user', content: [part] });
const inAssistant = (part: Obj): Obj => input(USER, { type: 'message', role: 'assistant', content: [part] });
const inOutput = (part: Obj): Obj => input(USER, CALL, { ...OUTPUT, output: [part] });
const inputItem = (t: SdkTypes): ts.Type => t.named('ResponseInputItem');
const createParams = (t: SdkTypes): ts.Type => t.named('ResponseCreateParamsBase');

const SHAPES: Record<string, Shape> = {
  'a message item': {
    sdk: (t) => [inputItem(t), 'message'],
    full: { type: 'message', role: 'user', content: 'Hi', id: 'msg_1', status: 'completed', phase: 'final_answer' },
    body: (obj) => input(obj),
    path: 'input[0]',
  },
  'an input_text part': {
    sdk: (t) => [t.named('ResponseInputContent'), 'input_text'],
    full: { type: 'input_text', text: 'Hi', prompt_cache_breakpoint: BREAKPOINT },
    body: inUser,
    path: 'input[0].content[0]',
  },
  'an input_image part': {
    sdk: (t) => [t.named('ResponseInputContent'), 'input_image'],
    full: { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low', file_id: null, prompt_cache_breakpoint: BREAKPOINT },
    body: inUser,
    path: 'input[0].content[0]',
  },
  'an input_file part': {
    sdk: (t) => [t.named('ResponseInputContent'), 'input_file'],
    full: { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=', file_url: 'https://example.com/a.pdf', filename: 'a.pdf', file_id: null, detail: 'auto', prompt_cache_breakpoint: BREAKPOINT },
    body: inUser,
    path: 'input[0].content[0]',
  },
  'a prompt cache breakpoint': {
    sdk: (t) => [t.member(t.named('ResponseInputText'), 'prompt_cache_breakpoint')],
    full: BREAKPOINT,
    body: (obj) => inUser({ type: 'input_text', text: 'Hi', prompt_cache_breakpoint: obj }),
    path: 'input[0].content[0].prompt_cache_breakpoint',
  },
  'an output_text part': {
    sdk: (t) => [t.member(t.named('ResponseOutputMessage'), 'content'), 'output_text'],
    full: { type: 'output_text', text: 'Hello.', annotations: [], logprobs: [] },
    body: inAssistant,
    path: 'input[1].content[0]',
  },
  'a refusal part': {
    sdk: (t) => [t.member(t.named('ResponseOutputMessage'), 'content'), 'refusal'],
    full: { type: 'refusal', refusal: 'No.' },
    body: inAssistant,
    path: 'input[1].content[0]',
  },
  'a function_call item': {
    sdk: (t) => [inputItem(t), 'function_call'],
    full: { ...CALL, id: 'fc_1', status: 'completed', namespace: 'tools', caller: { type: 'direct' } },
    body: (obj) => input(USER, obj, OUTPUT),
    path: 'input[1]',
  },
  "a function call's program caller": {
    sdk: (t) => [t.member(t.named('ResponseFunctionToolCall'), 'caller'), 'program'],
    full: { type: 'program', caller_id: 'call_0' },
    body: (obj) => input(USER, { ...CALL, caller: obj }, OUTPUT),
    path: 'input[1].caller',
  },
  'a function_call_output item': {
    sdk: (t) => [inputItem(t), 'function_call_output'],
    full: { ...OUTPUT, id: 'fco_1', status: 'completed', caller: { type: 'direct' } },
    body: (obj) => input(USER, CALL, obj),
    path: 'input[2]',
  },
  "a function call output's input_text part": {
    sdk: (t) => [t.named('ResponseFunctionCallOutputItem'), 'input_text'],
    full: { type: 'input_text', text: '42', prompt_cache_breakpoint: null },
    body: inOutput,
    path: 'input[2].output[0]',
  },
  "a function call output's input_image part": {
    sdk: (t) => [t.named('ResponseFunctionCallOutputItem'), 'input_image'],
    full: { type: 'input_image', image_url: 'https://example.com/chart.png', detail: null, file_id: null, prompt_cache_breakpoint: null },
    body: inOutput,
    path: 'input[2].output[0]',
  },
  'a reasoning item': {
    sdk: (t) => [inputItem(t), 'reasoning'],
    full: { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Plan.' }], content: [{ type: 'reasoning_text', text: 'Plan.' }], encrypted_content: SEALED, status: 'completed' },
    body: (obj) => input(USER, obj, { role: 'assistant', content: 'Done.' }),
    path: 'input[1]',
  },
  "a reasoning item's summary part": {
    sdk: (t) => [t.member(t.named('ResponseReasoningItem'), 'summary')],
    full: { type: 'summary_text', text: 'Plan.' },
    body: (obj) => input(USER, { type: 'reasoning', id: 'rs_1', summary: [obj] }),
    path: 'input[1].summary[0]',
  },
  "a reasoning item's content part": {
    sdk: (t) => [t.member(t.named('ResponseReasoningItem'), 'content')],
    full: { type: 'reasoning_text', text: 'Plan.' },
    body: (obj) => input(USER, { type: 'reasoning', id: 'rs_1', summary: [], content: [obj], encrypted_content: SEALED }),
    path: 'input[1].content[0]',
  },
  'a function tool': {
    sdk: (t) => [t.named('FunctionTool')],
    full: { ...TOOL, description: 'Looks a word up.', strict: true, output_schema: { type: 'object' }, defer_loading: false, allowed_callers: ['direct'] },
    body: (obj) => ({ ...input(USER), tools: [obj] }),
    path: 'tools[0]',
  },
  'a function tool choice': {
    sdk: (t) => [t.named('ToolChoiceFunction')],
    full: { type: 'function', name: 'lookup' },
    body: (obj) => ({ ...input(USER), tools: [TOOL], tool_choice: obj }),
    path: 'tool_choice',
  },
  'the text options': {
    sdk: (t) => [t.named('ResponseTextConfig')],
    full: { format: { type: 'text' }, verbosity: 'low' },
    body: (obj) => ({ ...input(USER), text: obj }),
    path: 'text',
  },
  'a json_schema text format': {
    sdk: (t) => [t.member(t.named('ResponseTextConfig'), 'format'), 'json_schema'],
    full: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true, description: 'The answer.' },
    body: (obj) => ({ ...input(USER), text: { format: obj } }),
    path: 'text.format',
  },
  'a json_object text format': {
    sdk: (t) => [t.member(t.named('ResponseTextConfig'), 'format'), 'json_object'],
    full: { type: 'json_object' },
    body: (obj) => ({ ...input(USER), text: { format: obj } }),
    path: 'text.format',
  },
  'the reasoning options': {
    sdk: (t) => [t.member(createParams(t), 'reasoning')],
    full: { effort: 'low', summary: 'auto', generate_summary: null, context: 'auto', mode: 'standard' },
    body: (obj) => ({ ...input(USER), reasoning: obj }),
    path: 'reasoning',
  },
  'the stream options': {
    sdk: (t) => [t.member(createParams(t), 'stream_options')],
    full: { include_obfuscation: false },
    body: (obj) => ({ ...input(USER), stream: true, stream_options: obj }),
    path: 'stream_options',
  },
};

function refusal(body: unknown): { status: number; error: unknown } {
  try {
    decodeResponsesRequest(body);
  } catch (err) {
    if (GatewayError.isInstance(err)) return { status: err.status, error: openAIErrorBody(err).error };
    throw err;
  }
  throw new Error('accepted');
}

const unknownAt = (param: string) => ({ status: 400, error: { message: `Unknown parameter: '${param}'.`, type: 'invalid_request_error', param, code: 'unknown_parameter' } });

describe('the members of a Responses request’s objects', () => {
  let sdk: SdkTypes;
  beforeAll(() => {
    sdk = readSdkTypes();
  }, 30_000);

  it.each(Object.entries(SHAPES))('takes every member the SDK declares for %s', (_name, shape) => {
    const [type, tag] = shape.sdk(sdk);
    expect(Object.keys(shape.full).sort()).toEqual(sdk.members(type, tag));
    expect(() => decodeResponsesRequest(shape.body(shape.full))).not.toThrow();
  });

  it.each(Object.entries(SHAPES))('refuses a member the SDK does not declare for %s, naming its path', (_name, shape) => {
    expect(refusal(shape.body({ ...shape.full, zz_extra: 1 }))).toEqual(unknownAt(`${shape.path}.zz_extra`));
  });

  it('answers a made-up member of an input item in the API’s exact words and shape', () => {
    expect(refusal(input({ role: 'user', content: 'Hi', zz_extra: 1 }))).toEqual({
      status: 400,
      error: { message: "Unknown parameter: 'input[0].zz_extra'.", type: 'invalid_request_error', param: 'input[0].zz_extra', code: 'unknown_parameter' },
    });
  });

  it('never takes a member from the prototype chain for a declared one', () => {
    const item = JSON.parse('{"role":"user","content":"Hi","constructor":1}') as Obj;
    expect(refusal(input(item))).toEqual(unknownAt('input[0].constructor'));
    const part = JSON.parse('{"type":"input_text","text":"Hi","__proto__":{"x":1}}') as Obj;
    expect(refusal(inUser(part))).toEqual(unknownAt('input[0].content[0].__proto__'));
  });

  it('leaves JSON Schemas free-form: a tool’s parameters and a format’s schema keep any keyword, and reach the request as sent', () => {
    const parameters = { type: 'object', zz_extra: 1, 'x-vendor': { a: 1 }, properties: { q: { type: 'string', zz_extra: true } } };
    const schema = { type: 'object', zz_extra: 1, $defs: { a: { type: 'string' } } };
    const req = decodeResponsesRequest({ ...input(USER), tools: [{ ...TOOL, parameters, output_schema: { zz_extra: 1 } }], text: { format: { type: 'json_schema', name: 'a', schema } } });
    expect(req.chat.tools?.[0]?.parameters).toEqual(parameters);
    expect(req.chat.responseFormat).toMatchObject({ schema });
  });

  it('checks the type and values of a member it drops', () => {
    expect(refusal(input({ ...USER, id: 5 })).error).toMatchObject({ param: 'input[0].id', code: 'invalid_type', message: "Invalid type for 'input[0].id': expected a string, but got an integer instead." });
    expect(refusal(input({ ...USER, status: 'done' })).error).toMatchObject({ param: 'input[0].status', code: 'invalid_value', message: "Invalid value: 'done'. Supported values are: 'in_progress', 'completed', and 'incomplete'." });
    expect(refusal(input(USER, { ...CALL, caller: { type: 'robot' } }, OUTPUT)).error).toMatchObject({ param: 'input[1].caller.type', code: 'invalid_value' });
    expect(refusal(input(USER, { ...CALL, caller: 'direct' }, OUTPUT)).error).toMatchObject({ param: 'input[1].caller', code: 'invalid_type' });
    expect(refusal(inUser({ type: 'input_text', text: 'Hi', prompt_cache_breakpoint: { mode: 'implicit' } })).error).toMatchObject({ param: 'input[0].content[0].prompt_cache_breakpoint.mode', code: 'invalid_value' });
    expect(refusal({ ...input(USER), tools: [{ ...TOOL, defer_loading: 'no' }] }).error).toMatchObject({ param: 'tools[0].defer_loading', code: 'invalid_type' });
  });

  it('takes every value of include the SDK declares and refuses any other, naming its place', () => {
    const includable = sdk.literals(sdk.named('ResponseIncludable'));
    expect(includable).toContain('reasoning.encrypted_content');
    expect(decodeResponsesRequest({ ...input(USER), include: includable }).reasoningShown.encrypted).toBe(true);
    expect(refusal({ ...input(USER), include: ['reasoning.encrypted_content', 'zz_extra'] }).error).toMatchObject({ param: 'include[1]', code: 'invalid_value' });
  });
});
