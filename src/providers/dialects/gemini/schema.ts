import type { JsonObject, JsonValue } from '../../../core/types.js';
import { toGeminiJsonSchema } from './json-schema.js';
import { inlineRefs, isJsonObject, type SchemaPlace } from '../json-schema-refs.js';

/** Keys of Vertex's OpenAPI-subset Schema object; everything else is rejected by the API. */
const PASS_THROUGH = new Set([
  'description',
  'title',
  'nullable',
  'default',
  'example',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'propertyOrdering',
]);

const FORMATS = new Set(['date-time', 'enum', 'int32', 'int64', 'float', 'double']);

/**
 * Gemini takes `enum` on STRING schemas only: an untyped enum becomes a string one, and the values of
 * another type's enum move into its description (the type matters more: the model answers in it).
 */
function setEnum(out: JsonObject, values: JsonValue[] | undefined): void {
  if (values === undefined) return;
  out.type ??= 'string';
  if (out.type === 'string') {
    out.enum = values.map((v) => String(v));
    return;
  }
  const allowed = `Allowed values: ${values.map((v) => JSON.stringify(v)).join(', ')}.`;
  out.description = typeof out.description === 'string' && out.description !== '' ? `${out.description} ${allowed}` : allowed;
}

/**
 * Converts a JSON Schema (as OpenAI tools carry it) into the OpenAPI subset Gemini accepts: drops
 * `$schema`, `additionalProperties` and other unsupported keys, turns `type: [t, "null"]` into
 * `nullable`, `const` into a one-value enum, and keeps only formats Gemini knows. The subset has no
 * references: a `$ref` left in `schema` is dropped, so references are inlined first (geminiSchema).
 */
export function toGeminiSchema(schema: JsonValue): JsonObject {
  if (!isJsonObject(schema)) return {};
  const out: JsonObject = {};
  const type = schema.type;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    if (nonNull.length !== type.length) out.nullable = true;
    if (nonNull.length >= 1) out.type = nonNull[0] as JsonValue;
  } else if (typeof type === 'string') {
    out.type = type;
  }
  for (const [key, value] of Object.entries(schema)) {
    if (PASS_THROUGH.has(key)) out[key] = value;
  }
  if (typeof schema.format === 'string' && FORMATS.has(schema.format)) out.format = schema.format;
  setEnum(out, Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined && schema.const !== null ? [schema.const] : undefined);
  if (isJsonObject(schema.properties)) {
    const props: JsonObject = {};
    for (const [name, sub] of Object.entries(schema.properties)) props[name] = toGeminiSchema(sub);
    out.properties = props;
    // Gemini takes properties only on an OBJECT, and refuses required names it has no property for.
    out.type ??= 'object';
    if (Array.isArray(schema.required)) out.required = schema.required.filter((name) => typeof name === 'string' && Object.hasOwn(props, name));
  }
  if (schema.items !== undefined) out.items = toGeminiSchema(Array.isArray(schema.items) ? (schema.items[0] ?? {}) : schema.items);
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) {
    const variants = union.filter((v) => !(isJsonObject(v) && v.type === 'null'));
    if (variants.length !== union.length) out.nullable = true;
    if (variants.length === 1) Object.assign(out, toGeminiSchema(variants[0] as JsonValue));
    else if (variants.length > 1) out.anyOf = variants.map((v) => toGeminiSchema(v));
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) Object.assign(out, toGeminiSchema(schema.allOf[0] as JsonValue));
  return out;
}

/** A schema as Gemini takes it: its OpenAPI subset (`responseSchema`, `parameters`) or JSON Schema (`responseJsonSchema`, `parametersJsonSchema`). */
export type GeminiSchema = { openApi: JsonObject } | { jsonSchema: JsonObject };

/**
 * A JSON Schema for Gemini: in its OpenAPI subset, which every Gemini model takes, with each `$ref`
 * inlined (zod's reused types, the `$defs`/`definitions` that OpenAI's zodResponseFormat writes); a
 * schema whose references cannot be written out (recursive, or past the bounds, inlineRefs) as JSON
 * Schema with its definitions, which Gemini takes in the fields beside the subset's. A reference to
 * nothing in the schema, or outside it, is a 400 naming `place`.
 */
export function geminiSchema(schema: JsonObject, place: SchemaPlace): GeminiSchema {
  const inlined = inlineRefs(schema, place);
  return 'schema' in inlined ? { openApi: toGeminiSchema(inlined.schema) } : { jsonSchema: toGeminiJsonSchema(schema, place) };
}

/** Function parameters for a declaration; an object schema without properties is omitted (Gemini rejects it). */
export function toGeminiParameters(schema: JsonObject | undefined, place: SchemaPlace): GeminiSchema | undefined {
  if (schema === undefined) return undefined;
  const converted = geminiSchema(schema, place);
  if (!('openApi' in converted)) return converted;
  const { type, properties } = converted.openApi;
  return type === 'object' && (!isJsonObject(properties) || Object.keys(properties).length === 0) ? undefined : converted;
}
