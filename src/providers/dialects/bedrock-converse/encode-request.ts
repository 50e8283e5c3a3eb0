import { GatewayError } from '../../../core/errors.js';
import { copyPassthrough } from '../../../core/fields.js';
import type { ChatMessage, ChatRequest, ContentPart, JsonObject, TextPart } from '../../../core/types.js';
import type { ContentBlock, ConverseMessage, ConverseRequestBody, ImageFormat, SystemBlock, ToolChoiceWire } from './wire.js';

function invalid(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}

function textOf(content: string | TextPart[] | null): string {
  if (content === null) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

const IMAGE_FORMATS: Record<string, ImageFormat> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };

/** A `data:` URL image to a Converse image block; Converse takes bytes (or S3), never web URLs. */
function imageBlock(url: string, param: string): ContentBlock {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (!m) throw invalid(param, 'Bedrock accepts images only as base64 data URLs (data:image/png;base64,...).');
  const format = IMAGE_FORMATS[(m[1] as string).toLowerCase()];
  if (!format) throw invalid(param, `Bedrock does not accept image type ${m[1] as string}; use png, jpeg, gif or webp.`);
  return { image: { format, source: { bytes: m[2] as string } } };
}

const CACHE_POINT = Object.freeze({ cachePoint: Object.freeze({ type: 'default' as const }) });

/** True when a text carries a prompt-cache mark (Anthropic's `cache_control`), which Converse writes as a cache point after it. */
function cacheMarked(content: string | TextPart[] | null): boolean {
  return Array.isArray(content) && content.some((p) => p.cache_control !== undefined);
}

function userBlocks(content: string | ContentPart[], param: string): ContentBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const out: ContentBlock[] = [];
  content.forEach((p, i) => {
    if (p.type !== 'text') out.push(imageBlock(p.image_url.url, `${param}[${i}].image_url.url`));
    else {
      out.push({ text: p.text });
      if (p.cache_control !== undefined) out.push(CACHE_POINT);
    }
  });
  return out;
}

function parseArguments(args: string, param: string): JsonObject {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw invalid(param, 'Tool call arguments must be a JSON object.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid(param, 'Tool call arguments must be a JSON object.');
  return parsed as JsonObject;
}

/** One canonical message to its Converse role and blocks (system messages are handled apart). */
function toBlocks(m: Exclude<ChatMessage, { role: 'system' | 'developer' }>, i: number): ConverseMessage {
  switch (m.role) {
    case 'user':
      return { role: 'user', content: userBlocks(m.content, `messages[${i}].content`) };
    case 'assistant': {
      const content: ContentBlock[] = [];
      const text = textOf(m.content);
      if (text !== '') content.push({ text });
      m.tool_calls?.forEach((tc, j) => {
        content.push({ toolUse: { toolUseId: tc.id, name: tc.function.name, input: parseArguments(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`) } });
      });
      return { role: 'assistant', content };
    }
    case 'tool':
      // Converse carries tool results inside a user turn.
      return { role: 'user', content: [{ toolResult: { toolUseId: m.tool_call_id, content: [{ text: textOf(m.content) }] } }] };
  }
}

/** Converse requires alternating roles: consecutive turns of one role (tool results, then a user text) merge. */
function mergeTurns(turns: ConverseMessage[]): ConverseMessage[] {
  const out: ConverseMessage[] = [];
  for (const t of turns) {
    const last = out[out.length - 1];
    if (last && last.role === t.role) last.content.push(...t.content);
    else out.push({ role: t.role, content: [...t.content] });
  }
  return out.filter((t) => t.content.length > 0);
}

function toolChoice(choice: ChatRequest['tool_choice']): ToolChoiceWire | undefined {
  if (choice === undefined || choice === 'none') return undefined;
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  return { tool: { name: choice.function.name } };
}

export interface EncodeOptions {
  /** Appends a cachePoint after the system text so Bedrock caches the prompt prefix. */
  cacheSystemPrompt?: boolean;
  /** Client fields the deployment lets through, sent in `additionalModelRequestFields`. */
  passthrough?: readonly string[];
}

/**
 * A canonical chat request to a Converse body (the model id travels in the URL). `tool_choice: none`
 * keeps the tool definitions (Converse requires them when the history holds tool blocks) but lets the
 * model choose; penalties and `seed` have no Converse equivalent and are not sent; `n > 1` is refused.
 */
export function encodeConverseRequest(request: ChatRequest, options: EncodeOptions = {}): ConverseRequestBody {
  if (request.n !== undefined && request.n > 1) throw invalid('n', 'Bedrock Converse returns one choice; n must be 1.');
  const system: SystemBlock[] = [];
  const turns: ConverseMessage[] = [];
  request.messages.forEach((m, i) => {
    if (m.role === 'system' || m.role === 'developer') {
      const text = textOf(m.content);
      if (text !== '') system.push({ text });
      if (text !== '' && cacheMarked(m.content)) system.push(CACHE_POINT);
    } else turns.push(toBlocks(m as Exclude<ChatMessage, { role: 'system' | 'developer' }>, i));
  });
  const body: ConverseRequestBody = { messages: mergeTurns(turns) };
  if (system.length > 0) {
    if (options.cacheSystemPrompt && !('cachePoint' in (system[system.length - 1] as SystemBlock))) system.push(CACHE_POINT);
    body.system = system;
  }
  const inference: NonNullable<ConverseRequestBody['inferenceConfig']> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (request.top_p !== undefined) inference.topP = request.top_p;
  if (request.stop !== undefined) inference.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  if (request.tools && request.tools.length > 0) {
    body.toolConfig = {
      tools: request.tools.map((t) => {
        const spec: { name: string; description?: string; inputSchema: { json: JsonObject } } = {
          name: t.function.name,
          inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } },
        };
        if (t.function.description !== undefined) spec.description = t.function.description;
        return { toolSpec: spec };
      }),
    };
    const choice = toolChoice(request.tool_choice);
    if (choice) body.toolConfig.toolChoice = choice;
  }
  const format = request.response_format;
  if (format?.type === 'json_schema') {
    const jsonSchema: { schema: string; name?: string; description?: string } = {
      schema: JSON.stringify(format.json_schema.schema ?? { type: 'object' }),
      name: format.json_schema.name,
    };
    if (format.json_schema.description !== undefined) jsonSchema.description = format.json_schema.description;
    body.outputConfig = { textFormat: { type: 'json_schema', structure: { jsonSchema } } };
  } else if (format?.type === 'json_object') {
    // JSON mode is structured output with the loosest object schema.
    body.outputConfig = { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify({ type: 'object' }), name: 'json_object' } } } };
  }
  if (options.passthrough && options.passthrough.length > 0) {
    const extra: Record<string, unknown> = {};
    copyPassthrough(request, options.passthrough, extra);
    if (Object.keys(extra).length > 0) body.additionalModelRequestFields = extra;
  }
  return body;
}
