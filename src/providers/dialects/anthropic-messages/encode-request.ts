import { GatewayError } from '../../../core/errors.js';
import { copyPassthrough } from '../../../core/fields.js';
import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../../core/types.js';
import { encodeConversation } from './encode-messages.js';
import type { AnthropicTextBlock, AnthropicTool, AnthropicToolChoice, MessagesRequestBody } from './wire.js';

export interface EncodeMessagesOptions {
  /** The upstream model id; omit for Vertex rawPredict and Bedrock InvokeModel (model in the URL). */
  model?: string;
  /** Put into the body as `anthropic_version` (Vertex: 'vertex-2023-10-16', Bedrock: 'bedrock-2023-05-31'). */
  anthropicVersion?: string;
  stream: boolean;
  /** `max_tokens` is required by the Messages API: used when the client sets neither max_tokens nor max_completion_tokens. */
  defaultMaxTokens: number;
  /** Drop temperature/top_p (API versions that reject sampling parameters). */
  omitSamplingParams?: boolean;
  /** Receives a short, prompt-free note for each request option the Messages API cannot express. */
  onWarning?: (message: string) => void;
  /** Client fields the deployment lets through, copied as top-level body fields (e.g. `top_k`, `thinking`). */
  passthrough?: readonly string[];
}

/** Body fields the encoder writes from mapped request fields; a passthrough field may not replace them. */
export const MESSAGES_MAPPED_KEYS: ReadonlySet<string> = new Set(['model', 'anthropic_version', 'system', 'stop_sequences', 'metadata']);

/** Why `fields` cannot be passthrough fields of a Messages API deployment, or undefined. */
export function messagesPassthroughProblem(fields: readonly string[]): string | undefined {
  const taken = fields.find((f) => MESSAGES_MAPPED_KEYS.has(f));
  return taken === undefined ? undefined : `"${taken}" is a Messages API field Switchyard writes itself`;
}

const JSON_INSTRUCTION = 'Respond only with a single valid JSON object, with no prose and no code fences.';

/**
 * response_format has no Messages API field (structured outputs are a beta), so JSON mode is asked for
 * with a system instruction; a json_schema adds the schema to that instruction. The answer comes back
 * as ordinary text, which is what an OpenAI client expects in `content`.
 */
function jsonInstruction(format: ResponseFormat | undefined): string | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return JSON_INSTRUCTION;
  const schema = format.json_schema.schema;
  return schema ? `${JSON_INSTRUCTION} It must conform to this JSON Schema:\n${JSON.stringify(schema)}` : JSON_INSTRUCTION;
}

function encodeTool(tool: ToolDefinition): AnthropicTool {
  const out: AnthropicTool = { name: tool.function.name, input_schema: tool.function.parameters ?? { type: 'object', properties: {} } };
  if (tool.function.description !== undefined) out.description = tool.function.description;
  return out;
}

/** OpenAI tool_choice to Anthropic's: 'required' is 'any'; parallel_tool_calls:false disables parallel use. */
function encodeToolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): AnthropicToolChoice | undefined {
  if (choice === 'none') return { type: 'none' };
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === 'auto') return parallel === false ? { type: 'auto', ...noParallel } : undefined;
  if (choice === 'required') return { type: 'any', ...noParallel };
  return { type: 'tool', name: choice.function.name, ...noParallel };
}

/**
 * A canonical (OpenAI-shaped) chat request to a Messages API body. Temperature is clamped to
 * Anthropic's 0..1 range (OpenAI allows up to 2). seed and the penalties have no equivalent and are
 * reported through `onWarning`; n > 1 cannot be honoured and is rejected.
 */
export function encodeMessagesRequest(req: ChatRequest, opts: EncodeMessagesOptions): MessagesRequestBody {
  if (req.n !== undefined && req.n > 1) {
    throw new GatewayError({ kind: 'invalid_request', message: "'n' greater than 1 is not supported by this provider.", param: 'n', code: 'invalid_request' });
  }
  const { system, messages } = encodeConversation(req.messages);
  const instruction = jsonInstruction(req.response_format);
  if (instruction) system.push({ type: 'text', text: instruction });
  const body: MessagesRequestBody = {
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? opts.defaultMaxTokens,
    messages,
  };
  if (opts.model !== undefined) body.model = opts.model;
  if (opts.anthropicVersion !== undefined) body.anthropic_version = opts.anthropicVersion;
  if (system.length > 0) body.system = encodeSystem(system);
  if (!opts.omitSamplingParams) {
    if (req.temperature !== undefined) body.temperature = Math.min(1, Math.max(0, req.temperature));
    if (req.top_p !== undefined) body.top_p = req.top_p;
  }
  if (req.stop !== undefined) {
    const stops = (Array.isArray(req.stop) ? req.stop : [req.stop]).filter((s) => s !== '');
    if (stops.length > 0) body.stop_sequences = stops;
  }
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools.map(encodeTool);
    const choice = encodeToolChoice(req.tool_choice, req.parallel_tool_calls);
    if (choice) body.tool_choice = choice;
  }
  if (req.user !== undefined) body.metadata = { user_id: req.user };
  if (opts.stream) body.stream = true;
  if (opts.passthrough && opts.passthrough.length > 0) copyPassthrough(req, opts.passthrough, body as unknown as Record<string, unknown>);
  for (const key of ['seed', 'presence_penalty', 'frequency_penalty'] as const) {
    if (req[key] !== undefined) opts.onWarning?.(`'${key}' is not supported by the Anthropic Messages API and was ignored.`);
  }
  return body;
}

/** A lone plain system text travels as a string; several parts, or cache marks, as blocks. */
function encodeSystem(blocks: AnthropicTextBlock[]): string | AnthropicTextBlock[] {
  const only = blocks[0];
  return blocks.length === 1 && only && !only.cache_control ? only.text : blocks;
}
