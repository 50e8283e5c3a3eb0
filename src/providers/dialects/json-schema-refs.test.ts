import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { JsonObject } from '../../core/types.js';
import { thrown } from '../../testing/thrown.js';
import { RESPONSE_FORMAT, inlineRefs, refersToItself, resolveRef } from './json-schema-refs.js';

const TOOL = { param: 'tools', label: "the parameters of tool 'look'" };
const ADDRESS: JsonObject = { type: 'object', properties: { city: { type: 'string' } } };

/** A chain of `n` definitions, each only a reference to the next: what a 4 MB body can hold thousands of. */
function chain(n: number, last: JsonObject): JsonObject {
  const defs: JsonObject = {};
  for (let i = 0; i < n; i += 1) defs[`d${i}`] = { $ref: `#/$defs/d${i + 1}` };
  defs[`d${n}`] = last;
  return { type: 'object', properties: { a: { $ref: '#/$defs/d0' } }, $defs: defs };
}

describe('a local $ref in a JSON Schema', () => {
  it('names the root, a node under $defs or draft-07 definitions, or any node, by a percent-encoded JSON pointer', () => {
    const root: JsonObject = { $defs: { Address: ADDRESS }, definitions: { 'a/b': { type: 'string' }, 'c~d': { type: 'integer' }, 'e f': { type: 'boolean' } }, anyOf: [{ type: 'null' }, { type: 'number' }] };
    expect(resolveRef(root, '#', RESPONSE_FORMAT)).toBe(root);
    expect(resolveRef(root, '#/$defs/Address', RESPONSE_FORMAT)).toBe(ADDRESS);
    expect(resolveRef(root, '#/definitions/a~1b', RESPONSE_FORMAT)).toEqual({ type: 'string' });
    expect(resolveRef(root, '#/definitions/c~0d', RESPONSE_FORMAT)).toEqual({ type: 'integer' });
    expect(resolveRef(root, '#/definitions/e%20f', RESPONSE_FORMAT)).toEqual({ type: 'boolean' });
    expect(resolveRef(root, '#/anyOf/1', RESPONSE_FORMAT)).toEqual({ type: 'number' });
  });

  it('is refused before sending, an unsent 400 naming the schema, when it points at nothing, outside the schema, or is no valid pointer', () => {
    const root: JsonObject = { $defs: { Address: ADDRESS }, anyOf: [{ type: 'null' }, { type: 'number' }] };
    expect(thrown(() => resolveRef(root, '#/$defs/Missing', TOOL))).toMatchObject({
      kind: 'invalid_request',
      status: 400,
      fallbackable: false,
      unsent: true,
      param: 'tools',
      message: "Invalid 'tools': in the parameters of tool 'look', the $ref '#/$defs/Missing' names nothing in the schema.",
    });
    expect(thrown(() => resolveRef(root, 'https://example.com/a.json', RESPONSE_FORMAT))).toMatchObject({ param: 'response_format', message: expect.stringContaining('is not a reference inside the schema') });
    expect(thrown(() => resolveRef(root, '#/$defs/%E0', RESPONSE_FORMAT))).toMatchObject({ status: 400, message: expect.stringContaining('is not a valid JSON pointer') });
    // RFC 6901 array indexes are digits without a leading zero; `Number('')` would read an empty one as 0.
    for (const ref of ['#/anyOf/', '#/anyOf/01', '#/anyOf/1e0', '#/anyOf/-1', '#/$defs/__proto__', '#/$defs/Address/constructor']) {
      expect(thrown(() => resolveRef(root, ref, RESPONSE_FORMAT)), ref).toMatchObject({ status: 400, message: expect.stringContaining('names nothing in the schema') });
    }
  });
});

describe('whether a JSON Schema refers to itself', () => {
  it('is true for a reference back into a schema it sits in: through definitions, or to the root', () => {
    const tree: JsonObject = { type: 'object', properties: { root: { $ref: '#/definitions/Node' } }, definitions: { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/definitions/Node' } } } } } };
    expect(refersToItself(tree, RESPONSE_FORMAT)).toBe(true);
    expect(refersToItself({ type: 'object', properties: { next: { anyOf: [{ type: 'null' }, { $ref: '#' }] } } }, RESPONSE_FORMAT)).toBe(true);
  });

  it('is false for a definition reused without recursion, a $ref inside data, and a reference that is no pointer', () => {
    const reused: JsonObject = { type: 'object', properties: { a: { $ref: '#/$defs/A' }, b: { $ref: '#/$defs/A' }, c: { type: 'array', items: { $ref: '#/$defs/A' } } }, $defs: { A: ADDRESS } };
    expect(refersToItself(reused, RESPONSE_FORMAT)).toBe(false);
    expect(refersToItself({ type: 'object', default: { $ref: '#' }, examples: [{ $ref: '#' }] }, RESPONSE_FORMAT)).toBe(false);
    expect(refersToItself({ type: 'object', properties: { a: { $ref: 'https://example.com/a.json' }, b: { $ref: '#anchor' } } }, RESPONSE_FORMAT)).toBe(false);
  });

  it('refuses a pointer to nothing with the 400 resolveRef gives', () => {
    const err = thrown(() => refersToItself({ type: 'object', properties: { a: { $ref: '#/$defs/gone' } } }, RESPONSE_FORMAT));
    expect(GatewayError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ status: 400, unsent: true, param: 'response_format' });
  });

  it('answers for a chain of 50,000 references, deeper than the call stack goes', () => {
    expect(refersToItself(chain(50_000, ADDRESS), RESPONSE_FORMAT)).toBe(false);
    expect(refersToItself(chain(50_000, { $ref: '#/$defs/d0' }), RESPONSE_FORMAT)).toBe(true);
  });
});

describe('a JSON Schema with its references inlined', () => {
  it('has a copy of what each $ref names, the keywords beside it laid over, and no definitions', () => {
    const schema: JsonObject = { type: 'object', properties: { home: { $ref: '#/$defs/A' }, work: { $ref: '#/$defs/A', description: 'Office.' } }, $defs: { A: ADDRESS } };
    expect(inlineRefs(schema, RESPONSE_FORMAT)).toEqual({ schema: { type: 'object', properties: { home: ADDRESS, work: { ...ADDRESS, description: 'Office.' } } } });
  });

  it('keeps the references of a recursive schema, and of a chain past the depth bound', () => {
    expect(inlineRefs({ type: 'object', properties: { next: { $ref: '#' } } }, RESPONSE_FORMAT)).toEqual({ kept: 'recursive' });
    expect(inlineRefs(chain(50_000, ADDRESS), RESPONSE_FORMAT)).toEqual({ kept: 'too large' });
  });
});
