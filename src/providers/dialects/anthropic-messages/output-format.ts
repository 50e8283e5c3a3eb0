import type { JsonObject, JsonValue, ResponseFormat, Warning } from '../../../core/types.js';
import { DEFINITIONS, RESPONSE_FORMAT, isJsonObject, refersToItself } from '../json-schema-refs.js';
import { unsupported } from './claude-generation.js';
import { byModel, claudeVersion } from './claude-prefill.js';

/** Claude's structured outputs: `output_config.format` (`JSONOutputFormat` in @anthropic-ai/sdk). */
export interface ClaudeOutputFormat {
  type: 'json_schema';
  schema: JsonObject;
}

/** How a request's response format reaches Claude: a system instruction, structured outputs, or neither. */
export interface ClaudeJsonPlan {
  instruction?: string;
  format?: ClaudeOutputFormat;
}

/** The host a Messages body goes to, where that decides which models take structured outputs. */
export type MessagesHost = 'anthropic' | 'vertex';

const JSON_INSTRUCTION = 'Respond only with a single valid JSON object, with no prose and no code fences.';
const CLAUDE = /claude/i;

/**
 * Whether a model takes `output_config.format`, as a rule on the Claude version its id names (as the
 * thinking rules read it). Anthropic's API (and Bedrock) serve structured outputs from Claude 4.5 on
 * (Haiku, Sonnet and Opus 4.5; Opus 4.1 had them only as the retired beta); Vertex from Claude 4.6 on
 * (Google lists the 4.5 models as coming). Before those a model answers the field with a 400, so those
 * models, an Anthropic-compatible server's own models and a Claude id whose version cannot be read get
 * the instruction: a JSON answer the schema does not hold is the safer mistake than a failed request.
 */
function takesStructuredOutputs(model: string, host: MessagesHost): boolean {
  if (!CLAUDE.test(model)) return false;
  const version = claudeVersion(model);
  if (version === undefined) return false;
  const since = host === 'vertex' ? 6 : 5;
  return version.major > 4 || (version.major === 4 && version.minor >= since);
}

const onAnthropic = byModel((model) => takesStructuredOutputs(model, 'anthropic'));
const onVertex = byModel((model) => takesStructuredOutputs(model, 'vertex'));

/** Whether a Claude model id takes structured outputs on that host (see takesStructuredOutputs). */
export function claudeTakesStructuredOutputs(model: string, host: MessagesHost): boolean {
  return host === 'vertex' ? onVertex(model) : onAnthropic(model);
}

/**
 * The way a response format reaches Claude. A JSON Schema goes as `output_config.format`, which holds
 * the answer to it, when the model takes it, the conversation does not end on the assistant (structured
 * outputs refuse a prefill) and the schema fits Claude's subset (claudeOutputSchema); otherwise, and for
 * JSON mode, which has no schema, as a system instruction, with a Warning that the schema is not held.
 */
export function planClaudeJson(
  format: ResponseFormat | undefined,
  model: string | undefined,
  host: MessagesHost,
  endsOnAssistant: boolean,
  warnings: Warning[],
  hostAllows = true,
): ClaudeJsonPlan {
  if (format?.type !== 'json') return {};
  const schema = format.schema;
  if (schema === undefined) return { instruction: JSON_INSTRUCTION };
  const instruction = `${JSON_INSTRUCTION} It must conform to this JSON Schema:\n${JSON.stringify(schema)}`;
  const notHeld = (why: string): ClaudeJsonPlan => {
    warnings.push(unsupported('responseFormat', `${why}; the JSON Schema was asked for by a system instruction, and the answer is not held to it.`));
    return { instruction };
  };
  if (!hostAllows) return notHeld('Claude\'s structured outputs are off for this deployment (`structured_outputs`)');
  if (model === undefined || !claudeTakesStructuredOutputs(model, host)) return notHeld(`${model ?? 'This model'} takes no structured outputs${host === 'vertex' ? ' on Vertex' : ''}`);
  if (endsOnAssistant) return notHeld('Claude takes no structured outputs with a final assistant message (a prefill)');
  const fitted = claudeOutputSchema(schema);
  if ('unfit' in fitted) return notHeld(`Claude's structured outputs take no ${fitted.unfit}`);
  if (fitted.moved.length > 0) {
    const moved = fitted.moved.slice(0, 8).join(', ');
    warnings.push(unsupported('responseFormat', `Claude's structured outputs take no ${moved}: they were written into the schema's descriptions, and the answer is not held to them.`));
  }
  return { format: { type: 'json_schema', schema: fitted.schema } };
}

/** String formats Claude's structured outputs take. */
const STRING_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);
/** Keywords that only name or document a schema: dropped without a word. */
const IGNORED = new Set(['$schema', '$id', '$comment']);

const isPrimitive = (v: JsonValue): boolean => v === null || typeof v !== 'object';

/** What claudeOutputSchema found: the schema Claude takes (and the keywords it wrote into descriptions), or the feature it cannot hold. */
export type ClaudeSchemaFit = { schema: JsonObject; moved: string[] } | { unfit: string };

/** Thrown inside the walk to stop at the first feature Claude cannot hold. */
class Unfit {
  constructor(readonly feature: string) {}
}

/**
 * A JSON Schema in the subset Claude's structured outputs take, as @anthropic-ai/sdk's
 * `transformJSONSchema` writes it (the SDK wins: the API answers anything else with a 400, e.g. "For
 * 'integer' type, property 'minimum' is not supported"): objects closed (`additionalProperties: false`),
 * `oneOf` as `anyOf`, and the constraints the subset lacks (bounds, lengths, patterns, unknown formats,
 * minItems above 1) written into the description, where the model still reads them. Local `$ref`s and
 * their definitions (`$defs`, draft-07's `definitions`) stay. What constrained decoding cannot hold at
 * all is unfit, to be asked for by instruction instead: a recursive `$ref` (the subset has none), one
 * outside the schema, an object open to additional properties (closed, it could hold none of them), a
 * boolean schema, and a schema with no type that is no union, literal or reference. A `$ref` pointing
 * at nothing in the schema is the client's mistake, which the API would refuse too: resolveRef's 400.
 */
export function claudeOutputSchema(schema: JsonObject): ClaudeSchemaFit {
  try {
    if (refersToItself(schema, RESPONSE_FORMAT)) return { unfit: 'recursive $ref' };
    const moved = new Set<string>();
    return { schema: fit(schema, moved), moved: [...moved] };
  } catch (e) {
    if (e instanceof Unfit) return { unfit: e.feature };
    throw e;
  }
}

function fit(node: JsonValue, moved: Set<string>): JsonObject {
  if (!isJsonObject(node)) throw new Unfit(Array.isArray(node) ? 'tuple items' : 'boolean schema');
  const rest: JsonObject = { ...node };
  const take = (key: string): JsonValue | undefined => {
    const value = rest[key];
    delete rest[key];
    return value;
  };
  const out: JsonObject = {};
  for (const key of DEFINITIONS) {
    const defs = take(key);
    if (isJsonObject(defs)) out[key] = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, fit(def, moved)]));
  }
  const ref = take('$ref');
  if (typeof ref === 'string') {
    if (!ref.startsWith('#')) throw new Unfit(`$ref outside the schema ('${ref.slice(0, 64)}')`);
    out.$ref = ref;
    return out;
  }
  const values = rest.enum;
  if (Array.isArray(values) && values.length > 0 && values.every(isPrimitive)) out.enum = take('enum') as JsonValue;
  if (rest.const !== undefined && isPrimitive(rest.const)) out.const = take('const') as JsonValue;
  const literal = 'enum' in out || 'const' in out;
  const declared = take('type');
  const types = literal || declared === undefined ? [] : Array.isArray(declared) ? declared : [declared];
  const anyOf = take('anyOf');
  const oneOf = take('oneOf');
  const allOf = take('allOf');
  const union = anyOf ?? oneOf;
  if (Array.isArray(union)) out.anyOf = union.map((v) => fit(v, moved));
  else if (Array.isArray(allOf)) out.allOf = allOf.map((v) => fit(v, moved));
  else if (!literal) {
    if (declared === undefined) throw new Unfit('schema without a type');
    out.type = declared;
  }
  for (const key of ['description', 'title']) {
    const value = take(key);
    if (value !== undefined) out[key] = value;
  }
  if (types.includes('object')) fitObject(take, out, moved);
  if (types.includes('string')) {
    const format = rest.format;
    if (typeof format === 'string' && STRING_FORMATS.has(format)) out.format = take('format') as string;
  }
  if (types.includes('array')) {
    const items = take('items');
    if (items !== undefined) out.items = fit(items, moved);
    if (rest.minItems === 0 || rest.minItems === 1) out.minItems = take('minItems') as number;
  }
  for (const key of IGNORED) delete rest[key];
  const left = Object.entries(rest);
  if (left.length > 0) {
    for (const [key] of left) moved.add(key);
    const noted = `{${left.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')}}`;
    out.description = typeof out.description === 'string' && out.description !== '' ? `${out.description}\n\n${noted}` : noted;
  }
  return out;
}

function fitObject(take: (key: string) => JsonValue | undefined, out: JsonObject, moved: Set<string>): void {
  const properties = take('properties');
  out.properties = isJsonObject(properties) ? Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, fit(sub, moved)])) : {};
  const open = take('additionalProperties');
  if (open !== undefined && open !== false) throw new Unfit('object open to additional properties');
  out.additionalProperties = false;
  const required = take('required');
  if (required !== undefined) out.required = required;
}
