import { GatewayError } from '../../core/errors.js';
import type { JsonObject, JsonValue } from '../../core/types.js';

/** Where a schema sits in the client's request, for a 400 that names it: `response_format`, or `tools` and the tool's name. */
export interface SchemaPlace {
  param: string;
  /** How the message names the schema: "response_format's JSON Schema", "the parameters of tool 'look'". */
  label: string;
}

/** The request's response format, the place most schemas come from. */
export const RESPONSE_FORMAT: SchemaPlace = { param: 'response_format', label: "response_format's JSON Schema" };

/** Nodes an inlined schema may have; past it the schema keeps its references (JSON Schema). */
export const MAX_INLINED_NODES = 5_000;
/** Schemas a reference chain may open inside one another while inlining; past it, likewise. */
const MAX_INLINED_DEPTH = 128;

/** Keywords whose values are data, not schemas: a `$ref` inside them refers to nothing. */
const DATA_KEYWORDS: ReadonlySet<string> = new Set(['enum', 'const', 'default', 'examples', 'example']);
/** Keywords that hold definitions, reached only through a `$ref`. */
export const DEFINITIONS: ReadonlySet<string> = new Set(['$defs', 'definitions']);

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a `$ref` is a JSON pointer into its own schema (`#`, `#/...`), the only kind resolved here. */
function isPointer(ref: string): boolean {
  return ref === '#' || ref.startsWith('#/');
}

/** An array index as RFC 6901 writes it: `0` or digits without a leading zero (`Number('')` would be 0). */
const INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * The node a local reference names in `root`: `#` itself, or a JSON pointer after it (`#/$defs/Node`,
 * draft-07's `#/definitions/a~1b`, percent-encoded as a URI fragment). A reference outside the schema
 * (a URL, `other.json#/x`) or to nothing in it is the client's mistake: a 400 naming the schema's place,
 * before anything is sent (no deployment could resolve it either).
 */
export function resolveRef(root: JsonObject, ref: string, place: SchemaPlace): JsonValue {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return refuse(ref, place, 'is not a reference inside the schema (#/...)');
  let node: JsonValue | undefined = root;
  for (const raw of ref.slice(2).split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    } catch {
      return refuse(ref, place, 'is not a valid JSON pointer');
    }
    if (Array.isArray(node)) node = INDEX.test(key) ? node[Number(key)] : undefined;
    else node = isJsonObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    if (node === undefined) return refuse(ref, place, 'names nothing in the schema');
  }
  return node;
}

function refuse(ref: string, place: SchemaPlace, why: string): never {
  throw new GatewayError({ kind: 'invalid_request', message: `Invalid '${place.param}': in ${place.label}, the $ref '${ref.slice(0, 64)}' ${why}.`, param: place.param, code: 'invalid_request', unsent: true });
}

/** The schemas a walk goes on to from `node`: what its `$ref` names (pointers only), then its members but data and definitions. */
function schemasUnder(root: JsonObject, node: JsonValue, place: SchemaPlace): JsonValue[] {
  if (Array.isArray(node)) return node;
  if (!isJsonObject(node)) return [];
  const out: JsonValue[] = [];
  const ref = node.$ref;
  if (typeof ref === 'string' && isPointer(ref)) out.push(resolveRef(root, ref, place));
  for (const key in node) if (!DATA_KEYWORDS.has(key) && !DEFINITIONS.has(key)) out.push(node[key] as JsonValue);
  return out;
}

/**
 * Whether following the schema's local references ever reaches a node from inside itself. A pointer
 * to nothing is the 400 resolveRef throws; a reference that is no pointer (a URL, an anchor) is not
 * followed, for the caller to judge. The walk keeps its own stack: a chain of thousands of references,
 * which a 4 MB body holds, would pass the call stack's depth.
 */
export function refersToItself(root: JsonObject, place: SchemaPlace): boolean {
  const open = new Set<JsonValue>([root]);
  const done = new Set<JsonValue>();
  const stack: Array<{ node: JsonValue; under: JsonValue[]; next: number }> = [{ node: root, under: schemasUnder(root, root, place), next: 0 }];
  for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
    const node = top.under[top.next];
    top.next += 1;
    if (node === undefined) {
      stack.pop();
      open.delete(top.node);
      done.add(top.node);
      continue;
    }
    if (typeof node !== 'object' || node === null || done.has(node)) continue;
    if (open.has(node)) return true;
    open.add(node);
    stack.push({ node, under: schemasUnder(root, node, place), next: 0 });
  }
  return false;
}

/** Why a schema keeps its references: one refers to a schema it sits in, or inlined it passes the bounds. */
export type KeptRefs = 'recursive' | 'too large';

class Stop {
  constructor(readonly why: KeptRefs) {}
}

/**
 * The schema with every local `$ref` replaced by a copy of what it names (keywords beside the `$ref`
 * laid over the copy, as 2020-12 applies both) and its definitions left out, for a schema language
 * without references (Gemini's OpenAPI subset). A schema one of whose references leads back into
 * itself cannot be written out, nor one whose copies pass MAX_INLINED_NODES or MAX_INLINED_DEPTH
 * (references reused at every level double at each): those are `{ kept }`, for the caller to send
 * with its references. A reference resolveRef refuses is its 400.
 */
export function inlineRefs(root: JsonObject, place: SchemaPlace): { schema: JsonObject } | { kept: KeptRefs } {
  const open = new Set<JsonValue>();
  let nodes = 0;
  const copy = (node: JsonValue): JsonValue => {
    if (Array.isArray(node)) return node.map(copy);
    if (!isJsonObject(node)) return node;
    if (open.has(node)) throw new Stop('recursive');
    if (open.size >= MAX_INLINED_DEPTH || ++nodes > MAX_INLINED_NODES) throw new Stop('too large');
    open.add(node);
    const ref = node.$ref;
    const out: JsonObject = typeof ref === 'string' ? copiedTarget(resolveRef(root, ref, place)) : {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' || DEFINITIONS.has(key)) continue;
      out[key] = DATA_KEYWORDS.has(key) ? value : copy(value);
    }
    open.delete(node);
    return out;
  };
  const copiedTarget = (target: JsonValue): JsonObject => {
    const copied = copy(target);
    return isJsonObject(copied) ? copied : {};
  };
  try {
    return { schema: copiedTarget(root) };
  } catch (e) {
    if (e instanceof Stop) return { kept: e.why };
    throw e;
  }
}
