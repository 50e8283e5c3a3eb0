import { describe, expect, it } from 'vitest';
import type { ChatRequest, JsonObject } from '../../../core/types.js';
import { thrown } from '../../../testing/thrown.js';
import { encodeGenerateContentRequest } from './encode-request.js';
import { MAX_INLINED_NODES } from '../json-schema-refs.js';

const MODEL = 'gemini-2.5-flash';
const asked = (schema: JsonObject, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'g', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], responseFormat: { type: 'json', name: 'x', schema }, ...extra });
const config = (schema: JsonObject) => encodeGenerateContentRequest(asked(schema), MODEL).body.generationConfig;

const ADDRESS = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const ADDRESS_OPENAPI = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

// What OpenAI's zodResponseFormat writes for z.object({ root: Node }), Node = z.object({ name, get children() { return z.array(Node) } }).
const TREE: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { root: { $ref: '#/definitions/__schema0' } },
  required: ['root'],
  additionalProperties: false,
  definitions: { __schema0: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/__schema0' } } }, required: ['name', 'children'], additionalProperties: false } },
};

describe('a response schema with references, to Gemini', () => {
  it('inlines each $ref into responseSchema (the OpenAPI subset has none): $defs, draft-07 definitions, keywords beside a $ref laid over', () => {
    const schema: JsonObject = {
      type: 'object',
      properties: { home: { $ref: '#/$defs/address' }, work: { $ref: '#/definitions/address', description: 'Office.' }, past: { type: 'array', items: { $ref: '#/$defs/address' } } },
      required: ['home', 'work', 'past'],
      $defs: { address: ADDRESS },
      definitions: { address: ADDRESS },
    };
    expect(config(schema)).toEqual({
      responseMimeType: 'application/json',
      responseSchema: {
        type: 'object',
        properties: { home: ADDRESS_OPENAPI, work: { ...ADDRESS_OPENAPI, description: 'Office.' }, past: { type: 'array', items: ADDRESS_OPENAPI } },
        required: ['home', 'work', 'past'],
      },
    });
  });

  it('inlines references in function parameters too', () => {
    const tools = [{ name: 'ship', parameters: { type: 'object', properties: { to: { $ref: '#/$defs/address' } }, $defs: { address: ADDRESS } } }];
    const decl = encodeGenerateContentRequest({ ...asked({ type: 'object' }), responseFormat: undefined, tools }, MODEL).body.tools?.[0]?.functionDeclarations[0];
    expect(decl).toEqual({ name: 'ship', parameters: { type: 'object', properties: { to: ADDRESS_OPENAPI } } });
  });

  it('sends a recursive schema as responseJsonSchema, its references under $defs, since it cannot be written out', () => {
    expect(config(TREE)).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: {
        type: 'object',
        properties: { root: { $ref: '#/$defs/__schema0' } },
        required: ['root'],
        additionalProperties: false,
        $defs: { __schema0: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/__schema0' } } }, required: ['name', 'children'], additionalProperties: false } },
      },
    });
  });

  it('makes a root referred to from inside itself a definition, and leaves a $ref alone in its schema, as Gemini requires', () => {
    const schema: JsonObject = { type: 'object', properties: { label: { const: 'node' }, next: { $ref: '#', description: 'The next one.' } } };
    expect(config(schema)?.responseJsonSchema).toEqual({
      $ref: '#/$defs/root',
      $defs: { root: { type: 'object', properties: { label: { enum: ['node'] }, next: { $ref: '#/$defs/root' } } } },
    });
  });

  it('keeps the references of a schema whose copies would pass the bound (each reused twice, at every level)', () => {
    const defs: JsonObject = { d0: { type: 'string' } };
    for (let i = 1; i <= 14; i += 1) defs[`d${i}`] = { type: 'object', properties: { a: { $ref: `#/$defs/d${i - 1}` }, b: { $ref: `#/$defs/d${i - 1}` } } };
    expect(2 ** 14).toBeGreaterThan(MAX_INLINED_NODES);
    const sent = config({ $ref: '#/$defs/d14', $defs: defs });
    expect(sent?.responseSchema).toBeUndefined();
    expect(Object.keys((sent?.responseJsonSchema?.$defs ?? {}) as JsonObject)).toHaveLength(15);
  });

  it('sends recursive function parameters as parametersJsonSchema', () => {
    const tools = [{ name: 'plant', parameters: TREE }];
    const decl = encodeGenerateContentRequest({ ...asked({ type: 'object' }), responseFormat: undefined, tools }, MODEL).body.tools?.[0]?.functionDeclarations[0];
    expect(decl?.parameters).toBeUndefined();
    expect(decl?.parametersJsonSchema).toMatchObject({ properties: { root: { $ref: '#/$defs/__schema0' } } });
  });

  it('refuses before sending a $ref to nothing in the schema, or outside it, naming response_format or tools', () => {
    expect(thrown(() => config({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }))).toMatchObject({
      kind: 'invalid_request',
      param: 'response_format',
      message: "Invalid 'response_format': in response_format's JSON Schema, the $ref '#/$defs/missing' names nothing in the schema.",
      unsent: true,
    });
    expect(thrown(() => config({ type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } }))).toMatchObject({ param: 'response_format', message: expect.stringContaining('is not a reference inside the schema') });
    const tools = [{ name: 'look', parameters: { type: 'object', properties: { a: { $ref: '#/$defs/gone' } } } }];
    expect(thrown(() => encodeGenerateContentRequest({ ...asked({ type: 'object' }), tools }, MODEL))).toMatchObject({ param: 'tools', message: expect.stringContaining("the parameters of tool 'look'") });
  });
});
