import type { ServerResponse } from 'node:http';
import { scriptAnswer, scriptRefusal, embedText, readTurns, interleavedArguments, type ArgumentPiece, type ScriptInput, type Turn } from '../answer.js';
import { applyPreFault, sendJson, startSim, streamWithFaults, type SimServer } from '../server.js';
import type { Fault } from '../faults.js';
import { sendUnknownPath, servesRoute, type OpenAICompatibleServer } from './unknown-path.js';
import { chatModelRefusal, embeddingsModelRefusal, readEmbeddingInputs, servedChatModelRefusal, readJsonBody, responseFormatOf, responseFormatProblem, sendOllamaEmbeddingsRefusal, sendTokenInputRefusal, toolCallDelta, toolCallsOf, toolChoiceOf } from './wire.js';

export interface OpenAISimOptions {
  name?: string;
  port?: number;
  seed?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  models?: string[];
  /**
   * /embeddings answers as Ollama's does: text only (token ids a 400 "invalid input type"), and a chat
   * model, once the input is read, refused with Ollama's 501 rather than vLLM's 400.
   */
  textOnlyEmbeddings?: boolean;
  /**
   * Whose answer a path outside the API gets (`unknown-path.ts`): OpenAI's by default, Ollama's with
   * `textOnlyEmbeddings`; `ollama` also embeds text only.
   */
  server?: OpenAICompatibleServer;
}

type Msg = { role?: string; content?: unknown; tool_calls?: unknown[] };

function textOf(content: unknown): { text: string; images: number } {
  if (typeof content === 'string') return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: '', images: 0 };
  let text = '';
  let images = 0;
  for (const part of content as Array<{ type?: string; text?: string }>) {
    if (part.type === 'text' && typeof part.text === 'string') text += part.text;
    else if (part.type === 'image_url') images += 1;
  }
  return { text, images };
}

/**
 * Reads an OpenAI chat body into the simulator's script input. A final assistant message is continued
 * only with vLLM's `continue_final_message`; otherwise the model answers after it.
 */
export function openaiScriptInput(body: Record<string, unknown>): ScriptInput {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Msg[];
  let system = '';
  let lastUser = '';
  let promptText = '';
  let images = 0;
  let toolResults: string[] = [];
  const turns: Turn[] = [];
  for (const m of messages) {
    const { text, images: n } = textOf(m.content);
    promptText += text;
    images += n;
    if (m.role === 'user' || m.role === 'assistant') turns.push({ role: m.role, text });
    if (m.role === 'system' || m.role === 'developer') system += text;
    else if (m.role === 'user') {
      lastUser = text;
      toolResults = [];
    } else if (m.role === 'tool') toolResults.push(text);
    else if (m.role === 'assistant') toolResults = [];
  }
  const tools = (Array.isArray(body.tools) ? body.tools : []) as Array<{ function?: { name?: string } }>;
  const stop = body.stop === undefined ? [] : Array.isArray(body.stop) ? (body.stop as string[]) : [String(body.stop)];
  const maxTokens = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
  const { continues, lastUser: asked } = readTurns(turns, body.continue_final_message === true);
  return {
    model: String(body.model ?? ''),
    system,
    lastUser: continues === undefined ? lastUser : asked,
    continues,
    toolResults,
    promptText,
    images,
    tools: tools.map((t) => ({ name: t.function?.name ?? 'tool' })),
    maxTokens,
    stop,
    reason: typeof body.reasoning_effort === 'string' ? body.reasoning_effort !== 'none' : undefined,
    format: responseFormatOf(body.response_format),
    toolChoice: toolChoiceOf(body.tool_choice),
    parallelToolCalls: body.parallel_tool_calls === false ? false : undefined,
  };
}

/** OpenAI's own models, which its API's rules below are for (the simulator also stands in for vLLM and Ollama, which serve any name). */
const OPENAI_MODEL = /^(?:gpt-|chatgpt-|o\d|codex-)/i;
/** Embedding models, by the word their ids share (text-embedding-3-small, nomic-embed-text). */
const EMBEDDING_MODEL = /embed/i;
/** A self-hosted chat model, by the word its name says it (llama-3.1-8b-instruct, a -chat build); any other name may be either. */
const SERVED_CHAT_MODEL = /instruct|chat/i;

const REASONING_EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);
/** OpenAI's reasoning models, which refuse an effort above what they take ("xhigh is supported for all models after gpt-5.1-codex-max"; max from gpt-5.6) and, from gpt-5.1 on, 'minimal'. */
const OPENAI_REASONING = /^(?:o[1-9]|gpt-5)(?:[-.:_]|$)/i;
const TAKES_XHIGH = /^gpt-5(?:\.1-codex-max|\.(?:[2-9]|\d{2,})(?!-chat))(?:[-.:_]|$)/i;
const TAKES_MAX = /^gpt-5\.(?:[6-9]|\d{2,})(?!-chat)(?:[-.:_]|$)/i;
/** gpt-5 proper (and -mini, -nano) takes 'minimal'; from gpt-5.1 on it is refused and 'none' taken instead, but by the always-reasoning codex models. */
const TAKES_MINIMAL = /^gpt-5(?:[-:_]|$)/i;
const FROM_GPT_5_1 = /^gpt-5\.\d/i;
const CODEX = /-codex(?:[-.:_]|$)/i;

/** OpenAI's answer to a `reasoning_effort` it does not know, or one the model does not take; undefined when the body has none or a good one. */
export function reasoningEffortProblem(body: Record<string, unknown>): { status: number; body: unknown } | undefined {
  const effort = body.reasoning_effort;
  if (effort === undefined || (typeof effort === 'string' && REASONING_EFFORTS.has(effort))) return modelEffortProblem(String(body.model ?? ''), effort);
  const message = `Invalid value: '${String(effort)}'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'.`;
  return { status: 400, body: { error: { message, type: 'invalid_request_error', param: 'reasoning_effort', code: 'invalid_value' } } };
}

/**
 * OpenAI's models that take one narrow set of efforts and refuse any other, 'none' included: the gpt-5.x
 * chat models 'medium' alone ("Supported values are: 'medium'"), gpt-5-pro 'high' alone, the versioned
 * pro models 'medium' to 'xhigh'.
 */
const NARROW_EFFORTS: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/^gpt-5\.[1-3]-chat(?:[-:_]|$)/i, ['medium']],
  [/^gpt-5-pro(?:[-:_]|$)/i, ['high']],
  [/^gpt-5\.[245]-pro(?:[-:_]|$)/i, ['medium', 'high', 'xhigh']],
];

/** A list of values as OpenAI words it: 'a', 'a' and 'b', 'a', 'b', and 'c'. */
function quotedList(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  if (quoted.length < 3) return quoted.join(' and ');
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1) ?? ''}`;
}

function unsupportedEffort(effort: string, supported: readonly string[]): { status: number; body: unknown } {
  const message = `Unsupported value: 'reasoning_effort' does not support '${effort}' with this model. Supported values are: ${quotedList(supported)}.`;
  return { status: 400, body: { error: { message, type: 'invalid_request_error', param: 'reasoning_effort', code: 'unsupported_value' } } };
}

/** The efforts an OpenAI reasoning model outside NARROW_EFFORTS takes, lowest first, as its refusal lists them. */
function supportedEfforts(model: string): string[] {
  const efforts = ['low', 'medium', 'high'];
  if (TAKES_XHIGH.test(model)) efforts.push('xhigh');
  if (TAKES_MAX.test(model)) efforts.push('max');
  if (FROM_GPT_5_1.test(model)) return CODEX.test(model) ? efforts : ['none', ...efforts];
  return TAKES_MINIMAL.test(model) ? ['minimal', ...efforts] : efforts;
}

/**
 * An effort the model does not take: any outside a narrow set, 'xhigh' or 'max' above the model's
 * highest, 'minimal' from gpt-5.1 on ("Supported values are: 'none', 'low', 'medium', and 'high'.",
 * quoted from the API in immersive-translate#3529).
 */
function modelEffortProblem(model: string, effort: unknown): { status: number; body: unknown } | undefined {
  if (typeof effort !== 'string') return undefined;
  const narrow = NARROW_EFFORTS.find(([pattern]) => pattern.test(model))?.[1];
  if (narrow !== undefined) return narrow.includes(effort) ? undefined : unsupportedEffort(effort, narrow);
  if (!OPENAI_REASONING.test(model)) return undefined;
  const judged = effort === 'xhigh' || effort === 'max' || (effort === 'minimal' && FROM_GPT_5_1.test(model));
  const supported = supportedEfforts(model);
  return judged && !supported.includes(effort) ? unsupportedEffort(effort, supported) : undefined;
}

/**
 * Models OpenAI serves on /v1/responses only (the list and its sources: providers/dialects/openai-chat/
 * responses-only.ts), with their dated snapshots.
 */
const RESPONSES_ONLY = /^(?:o1-pro|o3-pro|o3-deep-research|o4-mini-deep-research|computer-use-preview|gpt-5-pro|gpt-5\.2-pro|gpt-5-codex|gpt-5\.1-codex(?:-mini|-max)?|gpt-5\.[23]-codex|codex-mini-latest)(?:-\d{4}-\d{2}-\d{2})?$/i;

/** OpenAI's answer to such a model on Chat Completions: a 404, as quoted in openai/codex#1306 and alvinunreal/tmuxai#82. */
function sendResponsesOnly(res: ServerResponse): void {
  const message = 'This model is only supported in v1/responses and not in v1/chat/completions.';
  sendJson(res, 404, { error: { message, type: 'invalid_request_error', param: 'model', code: null } });
}

function errorStatusBody(fault: Fault): { status: number; body: unknown; headers: Record<string, string> } {
  const status = fault.status ?? 500;
  const code = fault.error ?? (status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request');
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const headers: Record<string, string> = {};
  if (fault.retry_after_s !== undefined) headers['retry-after'] = String(fault.retry_after_s);
  return { status, headers, body: { error: { message: fault.error_message ?? `Simulated ${status}`, type, param: null, code } } };
}

function sendError(res: ServerResponse, fault: Fault): void {
  const { status, body, headers } = errorStatusBody(fault);
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

let counter = 0;

/**
 * POST /embeddings: OpenAI refuses its chat models (403) and vLLM a generative one (400) before reading
 * the input; `ollama` (the `textOnlyEmbeddings` option) answers as Ollama does, token ids refused first.
 */
function embeddings(res: ServerResponse, json: Record<string, unknown>, model: string, ollama: boolean): void {
  // Ollama serves any name: a gpt- one there (gpt-oss) is a chat model like the others.
  if (!ollama && OPENAI_MODEL.test(model)) {
    sendJson(res, 403, embeddingsModelRefusal());
    return;
  }
  const chatModel = (SERVED_CHAT_MODEL.test(model) || (ollama && OPENAI_MODEL.test(model))) && !EMBEDDING_MODEL.test(model);
  if (chatModel && !ollama) {
    sendJson(res, 400, servedChatModelRefusal());
    return;
  }
  const inputs = readEmbeddingInputs(res, json.input);
  if (!inputs) return;
  if (ollama && inputs.some((t) => t.ids)) {
    sendTokenInputRefusal(res);
    return;
  }
  // Ollama reads the input before it loads the model, which finds it cannot embed.
  if (chatModel) {
    sendOllamaEmbeddingsRefusal(res);
    return;
  }
  const dims = typeof json.dimensions === 'number' ? json.dimensions : 8;
  const tokens = inputs.reduce((n, t) => n + t.tokens, 0);
  sendJson(res, 200, {
    object: 'list',
    data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: embedText(t.key, dims) })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

/** An OpenAI-compatible upstream (OpenAI, vLLM, Ollama) with fault injection; it serves its API under `/v1` only. */
export function startOpenAISim(options: OpenAISimOptions = {}): Promise<SimServer> {
  const name = options.name ?? 'openai-sim';
  const models = options.models ?? ['gpt-4o-mini', 'text-embedding-3-small'];
  const ollama = options.server === 'ollama' || options.textOnlyEmbeddings === true;
  const server = options.server ?? (ollama ? 'ollama' : 'openai');
  return startSim({
    name,
    port: options.port,
    seed: options.seed,
    notFound: ({ req, res, url }) => sendUnknownPath(server, req, res, url.pathname),
    async handler({ req, res, url, body }, tools) {
      const path = url.pathname;
      // A path outside the API (an endpoint without /v1) is the server's 404 whatever the credentials.
      if (!servesRoute(req.method, path)) return false;
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        sendJson(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
        return true;
      }
      if (path === '/v1/models') {
        tools.count('GET /models');
        sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: name })) });
        return true;
      }
      const json = readJsonBody(res, body);
      if (!json) return true;
      const model = String(json.model ?? '');
      if (path === '/v1/chat/completions') {
        tools.count('POST /chat/completions');
        await chat(res, json, tools.faults.next(model));
        return true;
      }
      tools.count('POST /embeddings');
      const fault = tools.faults.next(model);
      if (!(await applyPreFault(fault, res))) return true;
      if (fault.status) sendError(res, fault);
      else embeddings(res, json, model, ollama);
      return true;
    },
  });
}

/** A tool call's delta; the answer's first one, when it opens the answer, as OpenAI sends it: role, null content, the call, null refusal. */
function callDelta(piece: ArgumentPiece, i: number, opens: boolean): Record<string, unknown> {
  const delta = toolCallDelta(piece);
  return opens && i === 0 ? { role: 'assistant', content: null, tool_calls: delta.tool_calls, refusal: null } : delta;
}

async function chat(res: ServerResponse, body: Record<string, unknown>, fault: Fault): Promise<void> {
  if (!(await applyPreFault(fault, res))) return;
  if (fault.status) return sendError(res, fault);
  // vLLM refuses to both continue the final message and open a new assistant turn (its default).
  if (body.continue_final_message === true && body.add_generation_prompt !== false) {
    const message = 'Cannot set both `continue_final_message` and `add_generation_prompt` to True.';
    return sendJson(res, 400, { object: 'error', message, type: 'BadRequestError', param: null, code: 400 });
  }
  const model = String(body.model ?? '');
  if (RESPONSES_ONLY.test(model)) return sendResponsesOnly(res);
  if (EMBEDDING_MODEL.test(model)) return sendJson(res, 404, chatModelRefusal());
  const effort = reasoningEffortProblem(body);
  if (effort) return sendJson(res, effort.status, effort.body);
  const format = OPENAI_MODEL.test(model) ? responseFormatProblem(body) : undefined;
  if (format) return sendJson(res, 400, format);
  // OpenAI refuses an empty tool list rather than reading it as none.
  if (Array.isArray(body.tools) && body.tools.length === 0) {
    const message = "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.";
    return sendJson(res, 400, { error: { message, type: 'invalid_request_error', param: 'tools', code: 'empty_array' } });
  }
  const input = openaiScriptInput(body);
  // A declined prompt: OpenAI words it in `refusal`, content null, finish_reason stop.
  const refused = scriptRefusal(input);
  const answer = refused ?? scriptAnswer(input);
  const id = `chatcmpl-sim${++counter}`;
  const created = Math.floor(Date.now() / 1000);
  const finish = answer.finish === 'stop_sequence' ? 'stop' : answer.finish;
  const usage = {
    prompt_tokens: answer.promptTokens,
    completion_tokens: answer.completionTokens,
    total_tokens: answer.promptTokens + answer.completionTokens,
    prompt_tokens_details: { cached_tokens: answer.cachedTokens },
    completion_tokens_details: { reasoning_tokens: answer.reasoningTokens },
  };
  const calls = answer.toolCalls;
  const toolCalls = calls ? toolCallsOf(calls) : undefined;
  if (body.stream !== true) {
    if (fault.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "broken", "choices": [');
      return;
    }
    const text = answer.chunks.join('');
    const message: Record<string, unknown> = { role: 'assistant', content: toolCalls || refused ? null : text, refusal: refused ? text : null };
    if (toolCalls) message.tool_calls = toolCalls;
    // vLLM and DeepSeek put the reasoning beside the answer.
    if (answer.reasoning) message.reasoning_content = answer.reasoning.join('');
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
      usage,
      system_fingerprint: 'fp_sim',
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const frame = (delta: Record<string, unknown>, finishReason: string | null, extra?: Record<string, unknown>): void => {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: 'fp_sim', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...extra })}\n\n`);
  };
  // OpenAI's first chunk: the role with empty content and a null refusal; a refusal's opens with null
  // content and an empty refusal (its words come as `refusal` deltas); an answer that opens with a
  // tool call has no chunk of its own for the role: the call's first chunk carries it, content null.
  // Reasoning (vLLM's reasoning_content) comes after a role chunk, so a call after it does not carry one.
  const callOpens = calls !== undefined && answer.reasoning === undefined;
  if (!callOpens) frame(refused ? { role: 'assistant', content: null, refusal: '' } : { role: 'assistant', content: '', refusal: null }, null);
  if (fault.malformed) {
    res.end('data: {"choices": [\n\n');
    return;
  }
  for (const piece of answer.reasoning ?? []) frame({ reasoning_content: piece }, null);
  // Parallel calls stream interleaved, each chunk naming its call by index.
  const pieces: Array<ArgumentPiece | string> = calls ? interleavedArguments(calls) : answer.chunks;
  const complete = await streamWithFaults(
    pieces,
    fault,
    res,
    (piece, i) => frame(typeof piece !== 'string' ? callDelta(piece, i, callOpens) : refused ? { refusal: piece } : { content: piece }, null),
    () => {
      res.end(`data: ${JSON.stringify({ error: { message: fault.error_message ?? 'Simulated mid-stream failure', type: 'server_error', param: null, code: fault.error ?? 'server_error' } })}\n\n`);
    },
  );
  if (!complete) return;
  frame({}, finish);
  const opts = body.stream_options as { include_usage?: boolean } | undefined;
  if (opts?.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: 'fp_sim', choices: [], usage })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}
