import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonInstance } from './json-instance.js';

/** The instance made from a zod schema's JSON Schema, which the zod schema itself must then accept. */
function roundTrip<T extends z.ZodType>(schema: T): z.infer<T> {
  const value = jsonInstance(z.toJSONSchema(schema));
  const parsed = schema.safeParse(value);
  expect(parsed.error?.issues ?? [], JSON.stringify(value)).toEqual([]);
  return parsed.data as z.infer<T>;
}

describe('the structured output of the simulated models: a minimal instance of the schema asked for', () => {
  it('ends a schema whose required property refers to itself at the depth bound, rather than overflowing the stack', () => {
    const instance = jsonInstance({ type: 'object', properties: { a: { $ref: '#' } }, required: ['a'] });
    let depth = 0;
    for (let v: unknown = instance; typeof v === 'object' && v !== null && 'a' in v; v = (v as { a: unknown }).a) depth += 1;
    expect(depth).toBeGreaterThan(0);
    expect(depth).toBeLessThan(100);
  });

  it('takes a $ref with a malformed escape as pointing nowhere, rather than failing the request', () => {
    expect(jsonInstance({ type: 'object', properties: { a: { $ref: '#/$defs/%E0' } }, required: ['a'], $defs: {} })).toEqual({ a: null });
  });

  it('fills the required properties of an object, nested ones too, with the least value of each type', () => {
    const schema = z.object({
      name: z.string(),
      age: z.number().int(),
      admin: z.boolean(),
      tags: z.array(z.string()),
      role: z.enum(['reader', 'writer']),
      kind: z.literal('person'),
      address: z.object({ city: z.string(), zip: z.string().nullable() }),
      nickname: z.string().optional(),
    });
    expect(roundTrip(schema)).toEqual({ name: '', age: 0, admin: false, tags: [], role: 'reader', kind: 'person', address: { city: '', zip: '' } });
  });

  it('keeps to bounds, lengths, item counts and multiples', () => {
    const schema = z.object({
      score: z.number().min(3).max(9),
      above: z.number().gt(2).lt(2.5),
      below: z.number().int().lt(-4),
      step: z.number().multipleOf(5).min(12),
      code: z.string().min(4),
      pair: z.array(z.number()).min(2),
    });
    expect(roundTrip(schema)).toEqual({ score: 3, above: 2.25, below: -5, step: 15, code: 'xxxx', pair: [0, 0] });
  });

  it('writes a sample of each known string format', () => {
    const schema = z.object({ email: z.email(), at: z.iso.datetime(), day: z.iso.date(), id: z.uuid(), link: z.url() });
    expect(roundTrip(schema)).toMatchObject({ email: 'user@example.com', id: '00000000-0000-4000-8000-000000000000' });
  });

  it('follows $ref into $defs and ends a recursive schema past its depth bound', () => {
    interface Node {
      label: string;
      next: Node | null;
    }
    const node: z.ZodType<Node> = z.lazy(() => z.object({ label: z.string(), next: node.nullable() }));
    const list = z.object({ head: node });
    let depth = 0;
    for (let at: Node | null = roundTrip(list).head; at !== null; at = at.next) depth += 1;
    expect(depth).toBeGreaterThan(1);
    expect(depth).toBeLessThan(12);
  });

  it("reads Gemini's OpenAPI subset: upper-case types, nullable, propertyOrdering, int64 counts written as strings", () => {
    const schema = {
      type: 'OBJECT',
      properties: { b: { type: 'INTEGER', minimum: 1 }, a: { type: 'STRING', enum: ['x', 'y'] }, c: { type: 'ARRAY', items: { type: 'NUMBER' }, minItems: '2' }, d: { type: 'STRING', nullable: true } },
      required: ['a', 'b', 'c', 'd'],
      propertyOrdering: ['a', 'b', 'c', 'd'],
    };
    expect(JSON.stringify(jsonInstance(schema))).toBe('{"a":"x","b":1,"c":[0,0],"d":""}');
  });

  it('merges allOf, takes a union\'s first branch, and answers an empty schema with an object at the root', () => {
    expect(jsonInstance({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { const: 2 } }, required: ['b'] }] })).toEqual({ a: '', b: 2 });
    expect(jsonInstance({ type: 'object', properties: { v: { anyOf: [{ type: 'number' }, { type: 'null' }] } }, required: ['v'] })).toEqual({ v: 0 });
    expect(jsonInstance({})).toEqual({});
    expect(jsonInstance(undefined)).toEqual({});
  });
});
