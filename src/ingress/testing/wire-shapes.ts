/**
 * The keys an upstream body from Switchyard may hold, at every level, for the wire formats the doors'
 * fuzz spec sends to: written out here rather than taken from the dialects, so the check does not grade
 * a dialect by its own list. Free-form parts (JSON Schemas, a tool call's input) are the client's.
 */
import { MESSAGES_WIRE_KEYS, OPENAI_WIRE_KEYS } from '../../providers/testing/wire-keys.js';

/**
 * A value's allowed shape: `keys` for an object (each key's own shape), `items` for an array's items;
 * a scalar is always allowed, an object or array only where the shape says so. `free` takes anything.
 */
export interface WireShape {
  keys?: Readonly<Record<string, WireShape>>;
  items?: WireShape;
  free?: true;
}

const SCALAR: WireShape = {};
const FREE: WireShape = { free: true };
const strings: WireShape = { items: SCALAR };

function object(keys: Record<string, WireShape>): WireShape {
  return { keys };
}

/** An object whose listed keys are scalars, the rest as given. */
function scalars(names: readonly string[], nested: Record<string, WireShape> = {}): WireShape {
  const keys: Record<string, WireShape> = {};
  for (const n of names) keys[n] = SCALAR;
  return object(Object.assign(keys, nested));
}

const OPENAI_PART = scalars(['type', 'text'], { image_url: scalars(['url', 'detail']), file: scalars(['file_data', 'file_id', 'filename']) });

/** OpenAI Chat Completions, as the openai-chat dialect may write it. */
export const OPENAI_CHAT_WIRE: WireShape = scalars(OPENAI_WIRE_KEYS, {
  messages: {
    items: scalars(['role', 'name', 'tool_call_id'], {
      content: { items: OPENAI_PART },
      tool_calls: { items: scalars(['id', 'type'], { function: scalars(['name', 'arguments']) }) },
    }),
  },
  stop: strings,
  response_format: scalars(['type'], { json_schema: scalars(['name', 'description', 'strict'], { schema: FREE }) }),
  tools: { items: scalars(['type'], { function: scalars(['name', 'description', 'strict'], { parameters: FREE }) }) },
  tool_choice: scalars(['type'], { function: scalars(['name']) }),
  stream_options: scalars(['include_usage']),
});

const CACHE_CONTROL = scalars(['type', 'ttl']);
const SOURCE = scalars(['type', 'media_type', 'data', 'url']);
const RESULT_BLOCK = scalars(['type', 'text'], { source: SOURCE, cache_control: CACHE_CONTROL });
const BLOCK = scalars(['type', 'text', 'id', 'name', 'tool_use_id', 'is_error', 'thinking', 'signature', 'data', 'title'], {
  source: SOURCE,
  cache_control: CACHE_CONTROL,
  input: FREE,
  content: { items: RESULT_BLOCK },
});

/** The Messages API (Anthropic, Claude on Vertex), as the anthropic-messages dialect may write it. */
export const MESSAGES_WIRE: WireShape = scalars(MESSAGES_WIRE_KEYS, {
  system: { items: scalars(['type', 'text'], { cache_control: CACHE_CONTROL }) },
  messages: { items: scalars(['role'], { content: { items: BLOCK } }) },
  stop_sequences: strings,
  tools: { items: scalars(['type', 'name', 'description', 'strict'], { input_schema: FREE, cache_control: CACHE_CONTROL }) },
  tool_choice: scalars(['type', 'name', 'disable_parallel_tool_use']),
  metadata: scalars(['user_id']),
  thinking: scalars(['type', 'budget_tokens']),
  output_config: scalars(['effort'], { format: scalars(['type'], { schema: FREE }) }),
  cache_control: CACHE_CONTROL,
});

const child = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

/** Where `value` holds what `shape` does not allow (`messages.0.fuzz`), each as a path; empty when none. */
export function wireViolations(value: unknown, shape: WireShape, path = ''): string[] {
  if (shape.free || typeof value !== 'object' || value === null) return [];
  const here = path === '' ? '(body)' : path;
  if (Array.isArray(value)) {
    if (!shape.items) return [`${here} is an array`];
    const item = shape.items;
    return value.flatMap((v, i) => wireViolations(v, item, child(path, i)));
  }
  if (!shape.keys) return [`${here} is an object`];
  const out: string[] = [];
  for (const key of Object.keys(value)) {
    const inner = Object.hasOwn(shape.keys, key) ? shape.keys[key] : undefined;
    if (inner === undefined) out.push(child(path, key));
    else out.push(...wireViolations((value as Record<string, unknown>)[key], inner, child(path, key)));
  }
  return out;
}

const GEMINI_PART = scalars(['text', 'thought', 'thoughtSignature'], {
  inlineData: scalars(['mimeType', 'data']),
  fileData: scalars(['mimeType', 'fileUri']),
  functionCall: scalars(['name', 'id'], { args: FREE }),
  // A tool's result, parsed from its JSON text where it is JSON: the client's own.
  functionResponse: scalars(['name'], { response: FREE }),
});

/** Gemini's generateContent (and countTokens), as the gemini dialect may write it. */
export const GEMINI_WIRE: WireShape = object({
  contents: { items: scalars(['role'], { parts: { items: GEMINI_PART } }) },
  systemInstruction: object({ parts: { items: scalars(['text']) } }),
  tools: { items: object({ functionDeclarations: { items: scalars(['name', 'description'], { parameters: FREE, parametersJsonSchema: FREE }) } }) },
  toolConfig: object({ functionCallingConfig: scalars(['mode'], { allowedFunctionNames: strings }) }),
  generationConfig: scalars(['temperature', 'topP', 'topK', 'maxOutputTokens', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseMimeType'], {
    stopSequences: strings,
    responseSchema: FREE,
    responseJsonSchema: FREE,
    thinkingConfig: scalars(['thinkingBudget', 'thinkingLevel', 'includeThoughts']),
  }),
});

const BYTES = scalars(['bytes']);
const IMAGE = scalars(['format'], { source: BYTES });
const CONVERSE_BLOCK = scalars(['text'], {
  image: IMAGE,
  document: scalars(['format', 'name'], { source: BYTES }),
  reasoningContent: scalars(['redactedContent'], { reasoningText: scalars(['text', 'signature']) }),
  toolUse: scalars(['toolUseId', 'name'], { input: FREE }),
  toolResult: scalars(['toolUseId', 'status'], { content: { items: scalars(['text'], { json: FREE, image: IMAGE }) } }),
  cachePoint: scalars(['type']),
});

const CONVERSE_KEYS: Record<string, WireShape> = {
  messages: { items: scalars(['role'], { content: { items: CONVERSE_BLOCK } }) },
  system: { items: scalars(['text'], { cachePoint: scalars(['type']) }) },
  inferenceConfig: scalars(['maxTokens', 'temperature', 'topP'], { stopSequences: strings }),
  toolConfig: object({
    tools: { items: object({ toolSpec: scalars(['name', 'description', 'strict'], { inputSchema: object({ json: FREE }) }), cachePoint: scalars(['type']) }) },
    toolChoice: object({ auto: object({}), any: object({}), tool: scalars(['name']) }),
  }),
  outputConfig: object({ textFormat: scalars(['type'], { structure: object({ jsonSchema: scalars(['schema', 'name', 'description']) }) }) }),
  additionalModelRequestFields: scalars(['top_k'], { thinking: scalars(['type', 'budget_tokens']), output_config: scalars(['effort']) }),
  additionalModelResponseFieldPaths: strings,
};

/** Bedrock's Converse, and CountTokens' `{input: {converse}}` around it, as the bedrock-converse dialect may write them. */
export const CONVERSE_WIRE: WireShape = object(Object.assign({ input: object({ converse: object(CONVERSE_KEYS) }) }, CONVERSE_KEYS));
