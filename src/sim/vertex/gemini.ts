import type { ServerResponse } from 'node:http';
import { countTokens, embedText, readTurns, scriptAnswer, signatureOf, type Answer, type ScriptFormat, type ScriptInput, type Turn } from '../answer.js';
import { applyPreFault, sendJson, streamWithFaults } from '../server.js';
import type { Fault } from '../faults.js';
import type { GeminiGenerationConfig, GeminiPart, GeminiRequest, GeminiResponse } from '../../providers/dialects/gemini/wire.js';
import { googleError, sendFaultError, sendGoogleError } from './errors.js';

/** Finish reasons a fault can force (the `error` of a rule without a status). */
const FINISH_FAULTS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'LANGUAGE', 'MALFORMED_FUNCTION_CALL', 'OTHER']);
const PROMPT_BLOCKED = 'PROMPT_BLOCKED';

const SAFETY_RATINGS = [
  { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE', probabilityScore: 0.02, severity: 'HARM_SEVERITY_NEGLIGIBLE', severityScore: 0.01 },
  { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'NEGLIGIBLE', probabilityScore: 0.03, severity: 'HARM_SEVERITY_NEGLIGIBLE', severityScore: 0.02 },
];
const BLOCKED_RATINGS = [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', probabilityScore: 0.97, severity: 'HARM_SEVERITY_HIGH', severityScore: 0.91, blocked: true }];

function partText(part: GeminiPart): string {
  return 'text' in part && typeof part.text === 'string' ? part.text : '';
}

/**
 * Reads a generateContent body into the shared script input. A final `model` turn is not continued
 * (Gemini answers after it); a continuation instruction after one is followed.
 */
export function geminiScriptInput(body: GeminiRequest, model: string): ScriptInput {
  const system = (body.systemInstruction?.parts ?? []).map(partText).join('');
  let promptText = system;
  let lastUser = '';
  let images = 0;
  let toolResults: string[] = [];
  const turns: Turn[] = [];
  for (const content of body.contents ?? []) {
    let text = '';
    for (const part of content.parts ?? []) {
      text += partText(part);
      if ('inlineData' in part || 'fileData' in part) images += 1;
      if ('functionResponse' in part && part.functionResponse) {
        const r = part.functionResponse.response;
        const value = typeof r?.content === 'string' ? r.content : JSON.stringify(r ?? {});
        promptText += value;
        toolResults.push(value);
      }
    }
    promptText += text;
    turns.push({ role: content.role === 'model' ? 'assistant' : 'user', text });
    if (content.role === 'model') toolResults = [];
    else if (text !== '') {
      // Like an OpenAI user message after tool messages: new user text starts a fresh question.
      lastUser = text;
      toolResults = [];
    }
  }
  const cfg = body.generationConfig ?? {};
  const { continues, lastUser: asked } = readTurns(turns, false);
  const calling = body.toolConfig?.functionCallingConfig;
  const declared = (body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((d) => ({ name: d.name }));
  // ANY forces a call, to one of allowedFunctionNames when it names some.
  const allowed = calling?.mode === 'ANY' && Array.isArray(calling.allowedFunctionNames) ? declared.filter((d) => calling.allowedFunctionNames?.includes(d.name)) : declared;
  return {
    model,
    system,
    lastUser: continues === undefined ? lastUser : asked,
    continues,
    toolResults,
    promptText,
    images,
    tools: allowed,
    maxTokens: cfg.maxOutputTokens,
    stop: cfg.stopSequences ?? [],
    reason: thoughtsRequested(thinkingConfigOf(body)),
    toolChoice: calling?.mode === 'NONE' ? 'none' : calling?.mode === 'ANY' ? 'required' : undefined,
    format: formatOf(cfg),
  };
}

/** JSON mode (`responseMimeType: application/json`), with `responseJsonSchema` (JSON Schema) or `responseSchema` (its OpenAPI subset) when given. */
function formatOf(cfg: GeminiGenerationConfig & { responseJsonSchema?: unknown }): ScriptFormat | undefined {
  if (cfg.responseMimeType !== 'application/json') return undefined;
  const schema = cfg.responseJsonSchema ?? cfg.responseSchema;
  return schema === undefined ? { type: 'json_object' } : { type: 'json_schema', schema };
}

interface ThinkingConfig {
  thinkingBudget?: unknown;
  includeThoughts?: unknown;
}

function thinkingConfigOf(body: GeminiRequest): ThinkingConfig | undefined {
  return (body.generationConfig as { thinkingConfig?: ThinkingConfig } | undefined)?.thinkingConfig;
}

/** Thought summaries come back only with `includeThoughts`; a budget of 0 turns thinking off. */
function thoughtsRequested(cfg: ThinkingConfig | undefined): boolean | undefined {
  if (cfg === undefined) return undefined;
  return cfg.thinkingBudget !== 0 && cfg.includeThoughts === true;
}

/** A `thoughtSignature` handed back that this "model" never wrote (signatures are opaque, but tied to their model). */
function forgedSignature(body: GeminiRequest): boolean {
  for (const content of body.contents ?? []) {
    for (const part of content.parts ?? []) {
      const signature = (part as { thoughtSignature?: unknown }).thoughtSignature;
      if (signature !== undefined && (typeof signature !== 'string' || !Buffer.from(signature, 'base64').toString('utf8').startsWith('sim-signature:'))) return true;
    }
  }
  return false;
}

/** Gemini 2.5 Flash's thinking budget: -1 (dynamic) or 0 to 24,576 tokens. */
function thinkingProblem(cfg: ThinkingConfig | undefined): string | undefined {
  if (cfg?.thinkingBudget === undefined) return undefined;
  const budget = cfg.thinkingBudget;
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < -1 || budget > 24_576) {
    return 'The thinking budget must be -1 or an integer between 0 and 24576.';
  }
  return undefined;
}

/** Gemini 3.5 Flash-Lite, 3.6 Flash and every later release refuse to continue a model turn (Google's release notes). */
const NO_PREFILL = /^gemini-(?:3\.5-flash-lite|3\.(?:[6-9]|\d{2,})|[4-9]|\d{2,})(?:[-.@_]|$)/i;

/** A request those models refuse: its last content is the model's, unless that ends with a function response. */
function endsWithModelTurn(body: GeminiRequest): boolean {
  const last = body.contents.at(-1);
  const end = last?.parts?.at(-1);
  return last?.role === 'model' && !(end !== undefined && 'functionResponse' in end);
}

const ALTERNATE = 'Please ensure that multiturn requests alternate between user and model.';
const CALL_AFTER_USER = 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.';

/**
 * Gemini's turn order, with its words: the first content is the user's (a content without a role is one)
 * and roles alternate. A model turn out of place that calls a function is refused for the call.
 */
function turnOrderProblem(contents: GeminiRequest['contents']): string | undefined {
  let previous: string | undefined;
  for (const content of contents) {
    const role = content?.role === 'model' ? 'model' : 'user';
    if (role === (previous ?? 'model')) {
      const calls = role === 'model' && (content.parts ?? []).some((part) => 'functionCall' in part);
      return calls ? CALL_AFTER_USER : ALTERNATE;
    }
    previous = role;
  }
  return undefined;
}

/** The first function name declared twice, across every `tools` entry: Gemini refuses the request ("Duplicate function declaration found: <name>"). */
function duplicateDeclaration(body: GeminiRequest): string | undefined {
  const seen = new Set<string>();
  for (const tool of Array.isArray(body.tools) ? body.tools : []) {
    for (const declaration of tool.functionDeclarations ?? []) {
      if (seen.has(declaration.name)) return declaration.name;
      seen.add(declaration.name);
    }
  }
  return undefined;
}

let counter = 0;

interface Reply {
  base: Pick<GeminiResponse, 'modelVersion' | 'createTime' | 'responseId'>;
  usage: NonNullable<GeminiResponse['usageMetadata']>;
}

function reply(model: string, answer: Answer): Reply {
  // Gemini counts thoughts apart from the candidates' tokens.
  const usage: Reply['usage'] = {
    promptTokenCount: answer.promptTokens,
    candidatesTokenCount: answer.completionTokens - answer.reasoningTokens,
    totalTokenCount: answer.promptTokens + answer.completionTokens,
  };
  if (answer.cachedTokens > 0) usage.cachedContentTokenCount = answer.cachedTokens;
  if (answer.reasoningTokens > 0) usage.thoughtsTokenCount = answer.reasoningTokens;
  Object.assign(usage, { trafficType: 'ON_DEMAND', promptTokensDetails: [{ modality: 'TEXT', tokenCount: answer.promptTokens }] });
  return { base: { modelVersion: model, createTime: new Date().toISOString(), responseId: `sim-${(++counter).toString(36)}` }, usage };
}

function finishOf(answer: Answer): string {
  return answer.finish === 'length' ? 'MAX_TOKENS' : 'STOP';
}

/** :generateContent and :streamGenerateContent for one request. */
export async function generate(res: ServerResponse, body: GeminiRequest, model: string, stream: boolean, fault: Fault): Promise<void> {
  if (!(await applyPreFault(fault, res))) return;
  if (fault.status) return sendFaultError(res, fault);
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return sendGoogleError(res, 400, 'INVALID_ARGUMENT', 'Unable to submit request because it has an empty contents field.');
  }
  const order = turnOrderProblem(body.contents);
  if (order !== undefined) return sendGoogleError(res, 400, 'INVALID_ARGUMENT', order);
  const duplicate = duplicateDeclaration(body);
  if (duplicate !== undefined) return sendGoogleError(res, 400, 'INVALID_ARGUMENT', `Duplicate function declaration found: ${duplicate}`);
  const thinking = thinkingProblem(thinkingConfigOf(body));
  if (thinking !== undefined) return sendGoogleError(res, 400, 'INVALID_ARGUMENT', thinking);
  if (forgedSignature(body)) return sendGoogleError(res, 400, 'INVALID_ARGUMENT', 'Thought signature is not valid.');
  if (NO_PREFILL.test(model) && endsWithModelTurn(body)) return sendGoogleError(res, 400, 'INVALID_ARGUMENT', 'Requests ending with a model turn are not supported.');
  const input = geminiScriptInput(body, model);
  const answer = scriptAnswer(input);
  const { base, usage } = reply(model, answer);
  // With thinking on, Gemini signs the step: on its first function call, else on the answer's last text part.
  const signature = input.reason === true ? signatureOf(answer.reasoning ?? [answer.toolCalls?.[0]?.arguments ?? answer.chunks.join('')]) : undefined;
  const signed = (part: GeminiPart): GeminiPart => {
    if (signature === undefined) return part;
    const withSignature: GeminiPart & { thoughtSignature?: string } = { ...part };
    withSignature.thoughtSignature = signature;
    return withSignature;
  };
  if (fault.error === PROMPT_BLOCKED) {
    const blocked: GeminiResponse = { promptFeedback: { blockReason: 'PROHIBITED_CONTENT', blockReasonMessage: 'The prompt was blocked.' }, usageMetadata: { promptTokenCount: answer.promptTokens, totalTokenCount: answer.promptTokens }, ...base };
    if (!stream) return sendJson(res, 200, blocked);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return void res.end(`data: ${JSON.stringify(blocked)}\r\n\r\n`);
  }
  const forced = fault.error !== undefined && FINISH_FAULTS.has(fault.error) ? fault.error : undefined;
  const calls = answer.toolCalls;
  // Parallel calls are parts of one turn; only the first carries the step's signature.
  const parts: GeminiPart[] = (calls ?? []).map((c, i) => {
    const part: GeminiPart = { functionCall: { name: c.name, args: JSON.parse(c.arguments) as Record<string, string> } };
    return i === 0 ? signed(part) : part;
  });
  const call = calls !== undefined;
  if (!stream) {
    if (fault.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"candidates": [');
    }
    if (forced) return sendJson(res, 200, { candidates: [{ finishReason: forced, safetyRatings: BLOCKED_RATINGS, finishMessage: `Simulated ${forced}` }], usageMetadata: usage, ...base });
    const thoughts: GeminiPart[] = answer.reasoning ? [{ text: answer.reasoning.join(''), thought: true }] : [];
    const content = { role: 'model', parts: [...thoughts, ...(call ? parts : [signed({ text: answer.chunks.join('') })])] };
    return sendJson(res, 200, { candidates: [{ content, finishReason: finishOf(answer), safetyRatings: SAFETY_RATINGS, avgLogprobs: -0.12 }], usageMetadata: usage, ...base });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  // Vertex frames its SSE with CRLF line ends and sends no [DONE]: the finishReason chunk ends the answer.
  const send = (chunk: Record<string, unknown>): void => void res.write(`data: ${JSON.stringify({ ...chunk, ...base })}\r\n\r\n`);
  if (fault.malformed) return void res.end('data: {"candidates": [\r\n\r\n');
  // Thought summaries stream first, as parts marked `thought: true`.
  for (const text of answer.reasoning ?? []) send({ candidates: [{ content: { role: 'model', parts: [{ text, thought: true }] } }] });
  const pieces = call ? [''] : answer.chunks.length > 0 ? answer.chunks : [''];
  const last = pieces.length - 1;
  const cutAt = forced ? Math.floor(pieces.length / 2) : -1;
  const complete = await streamWithFaults(
    pieces,
    fault,
    res,
    (piece, i) => {
      if (i === cutAt) {
        send({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: forced, safetyRatings: BLOCKED_RATINGS }], usageMetadata: usage });
        return;
      }
      if (i > cutAt && cutAt >= 0) return;
      const candidate: Record<string, unknown> = { content: { role: 'model', parts: call ? parts : [i === last ? signed({ text: piece }) : { text: piece }] } };
      if (i !== last) return send({ candidates: [candidate] });
      send({ candidates: [{ ...candidate, finishReason: finishOf(answer), safetyRatings: SAFETY_RATINGS }], usageMetadata: usage });
    },
    () => void res.end(`data: ${JSON.stringify(googleError(500, 'INTERNAL', fault.error_message ?? 'Simulated mid-stream failure.'))}\r\n\r\n`),
  );
  if (complete) res.end();
}

/** :countTokens — free on Vertex; the provider's probe. */
export function countTokensReply(res: ServerResponse, body: GeminiRequest, model: string): void {
  const input = geminiScriptInput(body, model);
  sendJson(res, 200, { totalTokens: promptTokens(input), totalBillableCharacters: input.promptText.length });
}

function promptTokens(input: ScriptInput): number {
  return countTokens(input.promptText) + input.images * 85;
}

/** The input limit of Gemini 2.x models on Vertex. */
export const GEMINI_CONTEXT_TOKENS = 1_048_576;

/** Vertex's refusal of a prompt past the model's input limit, in its words (google-gemini/gemini-cli#19727); undefined when it fits. */
export function tokenLimitProblem(body: GeminiRequest, model: string, limit: number): string | undefined {
  const count = promptTokens(geminiScriptInput(body, model));
  if (count <= limit) return undefined;
  return (
    `Unable to submit request because the input token count is ${count} but model only supports up to ${limit}. Reduce the input token count and try again. ` +
    'You can also use the CountTokens API to calculate prompt token count and billable characters. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/models'
  );
}

/** Vertex's embedding models (text-embedding-005, text-multilingual-embedding-002, gemini-embedding-001, multimodalembedding). */
export const EMBEDDING_MODEL = /embedding/i;

/** :predict for the text-embedding models. gemini-embedding-001 takes a single instance, as on Vertex. */
export async function predictEmbeddings(res: ServerResponse, body: Record<string, unknown>, model: string, fault: Fault): Promise<void> {
  if (!(await applyPreFault(fault, res))) return;
  if (fault.status) return sendFaultError(res, fault);
  // Vertex's words for a Gemini model on :predict (googleapis/google-cloud-dotnet#11576, FailedPrecondition; a 400 over REST).
  if (model.startsWith('gemini-') && !EMBEDDING_MODEL.test(model)) {
    const message = 'Gemini cannot be accessed through Vertex Predict/RawPredict API. Please follow https://cloud.google.com/vertex-ai/docs/generative-ai/start/quickstarts/quickstart-multimodal for Gemini usage.';
    return sendGoogleError(res, 400, 'FAILED_PRECONDITION', message);
  }
  const instances = Array.isArray(body.instances) ? (body.instances as Array<{ content?: unknown }>) : [];
  if (instances.length === 0 || instances.some((i) => typeof i.content !== 'string')) {
    return sendGoogleError(res, 400, 'INVALID_ARGUMENT', 'Each instance must have a string "content".');
  }
  if (model.startsWith('gemini-embedding') && instances.length > 1) {
    return sendGoogleError(res, 400, 'INVALID_ARGUMENT', `Model ${model} supports only one instance per request.`);
  }
  const params = (body.parameters ?? {}) as { outputDimensionality?: unknown };
  const dims = typeof params.outputDimensionality === 'number' ? params.outputDimensionality : 768;
  let chars = 0;
  const predictions = instances.map((i) => {
    const text = i.content as string;
    chars += text.length;
    return { embeddings: { values: embedText(text, dims), statistics: { token_count: countTokens(text), truncated: false } } };
  });
  sendJson(res, 200, { predictions, metadata: { billableCharacterCount: chars } });
}
