import { describe, expect, it } from 'vitest';
import type { ChatRequest, JsonObject, Message, ResponseFormat, Warning } from '../../../core/types.js';
import { thrown } from '../../../testing/thrown.js';
import { encodeMessagesRequest } from './index.js';
import { claudeOutputSchema, claudeTakesStructuredOutputs } from './output-format.js';

const VERTEX = 'vertex-2023-10-16';
const user = (t: string): Message => ({ role: 'user', content: [{ type: 'text', text: t }] });
const SCHEMA: JsonObject = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const asked = (format: ResponseFormat, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'claude', messages: [user('Book Paris')], responseFormat: format, ...extra });
const json = (schema?: JsonObject): ResponseFormat => ({ type: 'json', name: 'booking', schema });

function encode(request: ChatRequest, opts: { model?: string; forModel?: string; anthropicVersion?: string; structuredOutputs?: boolean }) {
  const warnings: Warning[] = [];
  const body = encodeMessagesRequest(request, { stream: false, defaultMaxTokens: 1024, warnings, ...opts });
  return { body, warnings };
}

describe('a JSON Schema response format to Claude', () => {
  it('goes as output_config.format to a Claude 4.5 or later on the Anthropic API, with no system instruction', () => {
    for (const model of ['claude-haiku-4-5', 'claude-sonnet-4-5-20250929', 'claude-opus-4-7', 'claude-sonnet-5']) {
      const { body, warnings } = encode(asked(json(SCHEMA)), { model });
      expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: SCHEMA } });
      expect(body.system).toBeUndefined();
      expect(warnings).toEqual([]);
    }
  });

  it('goes as output_config.format to Claude on Vertex from 4.6 on; a 4.5 there is asked by instruction, with a warning', () => {
    const opus = encode(asked(json(SCHEMA)), { forModel: 'claude-opus-4-6@20260205', anthropicVersion: VERTEX });
    expect(opus.body.output_config).toEqual({ format: { type: 'json_schema', schema: SCHEMA } });
    const sonnet = encode(asked(json(SCHEMA)), { forModel: 'claude-sonnet-4-5@20250929', anthropicVersion: VERTEX });
    expect(sonnet.body.output_config).toBeUndefined();
    expect(sonnet.body.system).toMatch(/valid JSON object[\s\S]*"city"/);
    expect(sonnet.warnings).toEqual([expect.objectContaining({ setting: 'responseFormat', message: expect.stringContaining('claude-sonnet-4-5@20250929 takes no structured outputs on Vertex') })]);
  });

  it('is asked for by instruction, with a warning, where the deployment has structured outputs off (Vertex by default: its organization policy turns them off, a 400)', () => {
    const off = encode(asked(json(SCHEMA)), { forModel: 'claude-opus-4-6@20260205', anthropicVersion: VERTEX, structuredOutputs: false });
    expect(off.body.output_config).toBeUndefined();
    expect(off.body.system).toMatch(/valid JSON object[\s\S]*"city"/);
    expect(off.warnings).toEqual([expect.objectContaining({ setting: 'responseFormat', message: expect.stringContaining('structured outputs are off for this deployment (`structured_outputs`)') })]);
  });

  it('is asked for by instruction, with a warning that it is not held, of models without structured outputs', () => {
    for (const model of ['claude-opus-4-1', 'claude-sonnet-4-20250514', 'claude-3-5-haiku-20241022', 'claude-opus-latest', 'MiniMax-M2']) {
      const { body, warnings } = encode(asked(json(SCHEMA)), { model });
      expect(body.output_config).toBeUndefined();
      expect(body.system).toMatch(/valid JSON object[\s\S]*\{"type":"object"/);
      expect(warnings.map((w) => w.setting)).toEqual(['responseFormat']);
    }
    expect(claudeTakesStructuredOutputs('claude-opus-4-5', 'anthropic')).toBe(true);
    expect(claudeTakesStructuredOutputs('claude-opus-4-5@20251101', 'vertex')).toBe(false);
  });

  it('keeps JSON mode, which has no schema, a system instruction without a warning', () => {
    const { body, warnings } = encode(asked(json()), { model: 'claude-sonnet-4-6' });
    expect(body.output_config).toBeUndefined();
    expect(body.system).toBe('Respond only with a single valid JSON object, with no prose and no code fences.');
    expect(warnings).toEqual([]);
  });

  it('shares output_config with adaptive thinking’s effort', () => {
    const { body } = encode(asked(json(SCHEMA), { reasoning: { enabled: true, effort: 'low' } }), { model: 'claude-opus-4-7' });
    expect(body.output_config).toEqual({ effort: 'low', format: { type: 'json_schema', schema: SCHEMA } });
  });

  it('is asked for by instruction when the conversation ends on the assistant, which structured outputs refuse', () => {
    const prefilled = asked(json(SCHEMA), { messages: [user('Book Paris'), { role: 'assistant', content: [{ type: 'text', text: '{"city":' }] }] });
    const { body, warnings } = encode(prefilled, { model: 'claude-sonnet-4-5' });
    expect(body.output_config).toBeUndefined();
    expect(warnings).toEqual([expect.objectContaining({ setting: 'responseFormat', message: expect.stringContaining('final assistant message') })]);
  });

  it("is written in Claude's subset, as the official SDK writes it: bounds into descriptions (with a warning), objects closed, oneOf as anyOf", () => {
    // What the openai SDK's zodResponseFormat makes of z.object({ age: z.number().int().min(0), ... }).
    const schema: JsonObject = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        age: { type: 'integer', minimum: 0, maximum: 9007199254740991 },
        site: { type: 'string', format: 'uri' },
        code: { type: 'string', pattern: '^[A-Z]{3}$', description: 'IATA code.' },
        stay: { type: 'object', properties: { nights: { type: 'integer' } } },
        kind: { oneOf: [{ const: 'hotel' }, { type: 'null' }] },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
      },
      required: ['age', 'site', 'code', 'stay', 'kind', 'tags'],
      additionalProperties: false,
    };
    const { body, warnings } = encode(asked(json(schema)), { model: 'claude-sonnet-4-6' });
    expect(body.output_config?.format?.schema).toEqual({
      type: 'object',
      properties: {
        age: { type: 'integer', description: '{minimum: 0, maximum: 9007199254740991}' },
        site: { type: 'string', format: 'uri' },
        code: { type: 'string', description: 'IATA code.\n\n{pattern: "^[A-Z]{3}$"}' },
        stay: { type: 'object', properties: { nights: { type: 'integer' } }, additionalProperties: false },
        kind: { anyOf: [{ const: 'hotel' }, { type: 'null' }] },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, description: '{maxItems: 3}' },
      },
      required: ['age', 'site', 'code', 'stay', 'kind', 'tags'],
      additionalProperties: false,
    });
    expect(warnings).toEqual([expect.objectContaining({ setting: 'responseFormat', message: expect.stringContaining('take no minimum, maximum, pattern, maxItems') })]);
  });

  it('keeps local references and their definitions ($defs, and draft-07 definitions)', () => {
    const address = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const schema: JsonObject = { type: 'object', properties: { home: { $ref: '#/definitions/a' }, work: { $ref: '#/$defs/b' } }, required: ['home', 'work'], additionalProperties: false, definitions: { a: address }, $defs: { b: address } };
    expect(claudeOutputSchema(schema)).toEqual({ schema, moved: [] });
  });

  it('is asked for by instruction when constrained decoding cannot hold it: a recursive $ref, an open object, an outside $ref', () => {
    // zodResponseFormat's recursive tree: z.object({ name, get children() { return z.array(Node) } }).
    const tree: JsonObject = {
      type: 'object',
      properties: { root: { $ref: '#/definitions/__schema0' } },
      required: ['root'],
      additionalProperties: false,
      definitions: { __schema0: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/__schema0' } } }, required: ['name', 'children'], additionalProperties: false } },
    };
    expect(claudeOutputSchema(tree)).toEqual({ unfit: 'recursive $ref' });
    expect(claudeOutputSchema({ type: 'object', properties: { self: { $ref: '#' } } })).toEqual({ unfit: 'recursive $ref' });
    expect(claudeOutputSchema({ type: 'object', additionalProperties: { type: 'string' } })).toEqual({ unfit: 'object open to additional properties' });
    expect(claudeOutputSchema({ type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } })).toEqual({ unfit: "$ref outside the schema ('https://example.com/a.json')" });
    const { body, warnings } = encode(asked(json(tree)), { model: 'claude-sonnet-4-6' });
    expect(body.output_config).toBeUndefined();
    expect(body.system).toContain('__schema0');
    expect(warnings).toEqual([expect.objectContaining({ setting: 'responseFormat', message: expect.stringContaining('take no recursive $ref') })]);
  });

  it('refuses before sending a $ref pointing at nothing in the schema, or no valid pointer: an unsent 400 naming response_format', () => {
    for (const ref of ['#/$defs/missing', '#/$defs/%E0']) {
      const schema: JsonObject = { type: 'object', properties: { a: { $ref: ref } }, required: ['a'], additionalProperties: false };
      expect(thrown(() => encode(asked(json(schema)), { model: 'claude-sonnet-4-6' })), ref).toMatchObject({ kind: 'invalid_request', status: 400, unsent: true, param: 'response_format', message: expect.stringContaining(`the $ref '${ref}'`) });
    }
  });

  it('tells a chain of thousands of references, which a 4 MB body holds, from a recursive one', () => {
    const defs: JsonObject = {};
    for (let i = 0; i < 30_000; i += 1) defs[`d${i}`] = { $ref: `#/$defs/d${i + 1}` };
    defs.d30000 = { type: 'string' };
    expect(claudeOutputSchema({ type: 'object', properties: { a: { $ref: '#/$defs/d0' } }, required: ['a'], additionalProperties: false, $defs: defs })).toMatchObject({ moved: [] });
    defs.d30000 = { $ref: '#/$defs/d0' };
    expect(claudeOutputSchema({ type: 'object', properties: { a: { $ref: '#/$defs/d0' } }, $defs: defs })).toEqual({ unfit: 'recursive $ref' });
  });

  it('does not take a reference reused without recursion for one', () => {
    const leaf = { type: 'string' };
    const schema: JsonObject = { type: 'object', properties: { a: { $ref: '#/$defs/l' }, b: { $ref: '#/$defs/l' }, c: { type: 'array', items: { $ref: '#/$defs/l' } } }, $defs: { l: leaf } };
    expect(claudeOutputSchema(schema)).toMatchObject({ schema: { properties: { a: { $ref: '#/$defs/l' }, c: { items: { $ref: '#/$defs/l' } } } } });
  });
});
