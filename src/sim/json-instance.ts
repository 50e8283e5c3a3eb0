/**
 * The simulated models' structured output: a deterministic, minimal JSON value valid against the JSON
 * Schema a request gives (OpenAI's `json_schema`, Anthropic's `output_config.format`, Converse's
 * `outputConfig.textFormat`, Gemini's `responseSchema` in its OpenAPI subset or `responseJsonSchema`),
 * so a client that parses the answer against its schema (`chat.completions.parse()`) gets a value it takes.
 *
 * Minimal: required properties only (`minProperties` more), arrays of `minItems` items, the lowest number
 * the bounds allow, `""` (or `minLength` characters, or a sample of a known `format`), false, the first
 * `enum` value, `const`. `$ref` into the schema itself is followed; past MAX_DEPTH the generator takes
 * the way out a schema leaves (null where allowed, an empty array, a union's branch that ends), so a
 * recursive schema ends. Not every schema has an instance (a `pattern`, contradicting keywords): those
 * keywords are not read, as a model that could not honour them would not either.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

const MAX_DEPTH = 8;
/** More items than a schema's `minItems` asks are never made; this bounds a huge one. */
const MAX_ITEMS = 64;

const FORMAT_SAMPLES: Readonly<Record<string, string>> = {
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00',
  duration: 'P1D',
  email: 'user@example.com',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uri: 'https://example.com/',
  uuid: '00000000-0000-4000-8000-000000000000',
};

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON Pointer segment's key; a malformed escape (`%E0`) points nowhere, as an unknown name does. */
function pointerKey(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
  } catch {
    return undefined;
  }
}

/** A minimal JSON value valid against `schema`; the root's own `$ref`s resolve against it. */
export function jsonInstance(schema: unknown): Json {
  const root = isSchema(schema) ? schema : {};
  return new Generator(root).value(root, 0);
}

class Generator {
  constructor(private readonly root: Schema) {}

  value(input: unknown, depth: number): Json {
    // `true` and `{}` take anything; `false` takes nothing, and null is as good as any value for it.
    if (!isSchema(input)) return null;
    const schema = this.resolve(input);
    if ('const' in schema) return schema.const as Json;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as Json;
    const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
    if (union !== undefined && union.length > 0) return this.value(depth >= MAX_DEPTH ? (union.find((s) => this.ends(s)) ?? union[0]) : union[0], depth + 1);
    const type = this.typeOf(schema, depth);
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return false;
      case 'integer':
      case 'number':
        return numberIn(schema, type === 'integer');
      case 'string':
        return stringIn(schema);
      case 'array':
        return this.array(schema, depth);
      case 'object':
        return this.object(schema, depth);
      default:
        return depth === 0 ? {} : null;
    }
  }

  /** The schema behind `$ref`s (local JSON Pointers only) with `allOf` merged into it. */
  private resolve(schema: Schema): Schema {
    let current = schema;
    for (let hops = 0; typeof current.$ref === 'string' && hops <= MAX_DEPTH; hops++) {
      const target = this.pointer(current.$ref);
      if (target === undefined) break;
      const { $ref: _ref, ...rest } = current;
      current = { ...target, ...rest };
    }
    if (!Array.isArray(current.allOf)) return current;
    const { allOf, ...rest } = current;
    return (allOf as unknown[]).filter(isSchema).reduce<Schema>((merged, part) => mergeSchemas(merged, this.resolve(part)), rest);
  }

  private pointer(ref: string): Schema | undefined {
    if (ref === '#') return this.root;
    if (!ref.startsWith('#/')) return undefined;
    let at: unknown = this.root;
    for (const raw of ref.slice(2).split('/')) {
      const key = pointerKey(raw);
      at = key !== undefined && isSchema(at) ? at[key] : undefined;
    }
    return isSchema(at) ? at : undefined;
  }

  /** The instance type: the first non-null one listed (null once deep), else what the keywords imply. */
  private typeOf(schema: Schema, depth: number): string | undefined {
    const listed = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase());
    const nullable = listed.includes('null') || schema.nullable === true;
    if (nullable && depth >= MAX_DEPTH) return 'null';
    const type = listed.find((t) => t !== 'null') ?? (nullable ? 'null' : undefined);
    if (type !== undefined) return type;
    if (isSchema(schema.properties) || Array.isArray(schema.required)) return 'object';
    if (schema.items !== undefined || Array.isArray(schema.prefixItems)) return 'array';
    return undefined;
  }

  /** Whether a union's branch ends without going deeper: a null, a scalar or an enum. */
  private ends(branch: unknown): boolean {
    if (!isSchema(branch)) return true;
    const schema = this.resolve(branch);
    if ('const' in schema || Array.isArray(schema.enum)) return true;
    const type = this.typeOf(schema, MAX_DEPTH);
    return type !== 'object' && type !== 'array';
  }

  private array(schema: Schema, depth: number): Json[] {
    const tuple = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? (schema.items as unknown[]) : [];
    const wanted = depth >= MAX_DEPTH ? 0 : Math.min(MAX_ITEMS, nonNegative(schema.minItems));
    const out: Json[] = [];
    for (let i = 0; i < wanted; i++) {
      const item = i < tuple.length ? tuple[i] : isSchema(schema.items) ? schema.items : isSchema(schema.additionalItems) ? schema.additionalItems : {};
      out.push(this.value(item, depth + 1));
    }
    return out;
  }

  private object(schema: Schema, depth: number): { [key: string]: Json } {
    // The depth bound ends a recursive schema (`{properties: {a: {$ref: '#'}}, required: ['a']}`).
    if (depth >= MAX_DEPTH) return {};
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : [];
    // Gemini names the order it writes properties in; else the schema's own order.
    const order = Array.isArray(schema.propertyOrdering) ? schema.propertyOrdering.filter((k): k is string => typeof k === 'string') : [];
    const keys = [...new Set([...order, ...Object.keys(properties), ...required])];
    const chosen = new Set(required);
    for (const key of keys) if (chosen.size < nonNegative(schema.minProperties) && Object.hasOwn(properties, key)) chosen.add(key);
    const out: { [key: string]: Json } = {};
    for (const key of keys) {
      if (!chosen.has(key)) continue;
      const sub = Object.hasOwn(properties, key) ? properties[key] : isSchema(schema.additionalProperties) ? schema.additionalProperties : {};
      out[key] = this.value(sub, depth + 1);
    }
    return out;
  }
}

/** A count keyword's value; Gemini's Schema writes its int64 counts (`minItems`, `minLength`) as strings. */
function nonNegative(value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** allOf's parts as one schema: properties and required lists joined, other keywords the later part's. */
function mergeSchemas(a: Schema, b: Schema): Schema {
  const merged: Schema = { ...a, ...b };
  if (isSchema(a.properties) && isSchema(b.properties)) merged.properties = { ...a.properties, ...b.properties };
  if (Array.isArray(a.required) && Array.isArray(b.required)) merged.required = [...a.required, ...b.required];
  return merged;
}

/** The number nearest zero that the bounds and `multipleOf` allow (draft 4's boolean exclusive bounds too). */
function numberIn(schema: Schema, integer: boolean): number {
  const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : integer ? 1 : undefined;
  const low = bound(schema.minimum, schema.exclusiveMinimum);
  const high = bound(schema.maximum, schema.exclusiveMaximum);
  let value = 0;
  if (low !== undefined && (low.value > 0 || (low.value === 0 && low.exclusive))) value = low.exclusive ? low.value + (step ?? 1) : low.value;
  else if (high !== undefined && (high.value < 0 || (high.value === 0 && high.exclusive))) value = high.exclusive ? high.value - (step ?? 1) : high.value;
  // A step past an exclusive bound can overshoot the other bound: the middle of the two then.
  if (low !== undefined && high !== undefined && (value > high.value || (value === high.value && high.exclusive))) value = (low.value + high.value) / 2;
  if (step === undefined) return value;
  // The multiple on the side of zero the bounds leave room for.
  const multiple = value >= 0 ? Math.ceil(value / step) * step : Math.floor(value / step) * step;
  return Number(multiple.toPrecision(12));
}

function bound(limit: unknown, exclusive: unknown): { value: number; exclusive: boolean } | undefined {
  if (typeof exclusive === 'number') return { value: exclusive, exclusive: true };
  if (typeof limit === 'number') return { value: limit, exclusive: exclusive === true };
  return undefined;
}

function stringIn(schema: Schema): string {
  const sample = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
  if (sample !== undefined) return sample;
  return 'x'.repeat(Math.min(MAX_ITEMS, nonNegative(schema.minLength)));
}
