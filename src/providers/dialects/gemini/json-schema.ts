import type { JsonObject, JsonValue } from '../../../core/types.js';
import { isJsonObject, resolveRef, type SchemaPlace } from '../json-schema-refs.js';

/**
 * The keywords Gemini's JSON Schema fields (`responseJsonSchema`, a declaration's
 * `parametersJsonSchema`) take, per @google/genai's GenerationConfig: `$defs` and `$ref` are written
 * here, `oneOf` is sent as the `anyOf` Gemini reads it as, `const` as a one-value `enum`.
 */
const KEPT = new Set(['type', 'format', 'title', 'description', 'enum', 'minItems', 'maxItems', 'minimum', 'maximum', 'required', 'propertyOrdering']);
/** Keywords holding one schema, and those holding a list of them. */
const ONE = ['items', 'additionalProperties'] as const;
const MANY = ['prefixItems', 'anyOf'] as const;

/**
 * A JSON Schema with references as Gemini takes it: every local `$ref` (to `$defs`, draft-07
 * `definitions`, the root or any node) rewritten to `#/$defs/<name>` with what it names under that
 * name in the root's `$defs` (only what is referred to), and a `$ref` alone in its schema (Gemini
 * refuses other keywords beside one). Unknown keywords are left out. Gemini unrolls a recursive
 * reference to a limited depth; it takes one only inside properties that are not required.
 */
export function toGeminiJsonSchema(root: JsonObject, place: SchemaPlace): JsonObject {
  const names = new Map<JsonValue, string>();
  const defs: JsonObject = {};
  const pending: Array<[JsonValue, string]> = [];
  const nameOf = (target: JsonValue, ref: string): string => {
    const known = names.get(target);
    if (known !== undefined) return known;
    const base = target === root ? 'root' : (ref.slice(ref.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9_.-]/g, '_') || 'def');
    let name = base;
    for (let i = 2; Object.hasOwn(defs, name); i += 1) name = `${base}_${i}`;
    names.set(target, name);
    defs[name] = {};
    pending.push([target, name]);
    return name;
  };
  const convert = (node: JsonValue): JsonObject => {
    if (!isJsonObject(node)) return {};
    const ref = node.$ref;
    if (typeof ref === 'string') return { $ref: `#/$defs/${nameOf(resolveRef(root, ref, place), ref)}` };
    const out: JsonObject = {};
    for (const key of KEPT) if (node[key] !== undefined) out[key] = node[key];
    if (node.const !== undefined && out.enum === undefined) out.enum = [node.const];
    if (isJsonObject(node.properties)) out.properties = Object.fromEntries(Object.entries(node.properties).map(([name, sub]) => [name, convert(sub)]));
    for (const key of ONE) {
      const sub = node[key];
      if (isJsonObject(sub)) out[key] = convert(sub);
      else if (typeof sub === 'boolean') out[key] = sub;
    }
    const union = node.anyOf ?? node.oneOf;
    for (const key of MANY) {
      const list = key === 'anyOf' ? union : node[key];
      if (Array.isArray(list)) out[key] = list.map(convert);
    }
    if (Array.isArray(node.allOf) && node.allOf.length === 1) Object.assign(out, convert(node.allOf[0] as JsonValue));
    return out;
  };
  const out = convert(root);
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) defs[next[1]] = convert(next[0]);
  if (Object.keys(defs).length === 0) return out;
  // The root referred to from inside itself is one of the definitions: the root then only points at it.
  return names.has(root) ? { $ref: `#/$defs/${names.get(root) ?? 'root'}`, $defs: defs } : { ...out, $defs: defs };
}
