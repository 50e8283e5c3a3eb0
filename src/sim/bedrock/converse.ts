import type { ServerResponse } from 'node:http';
import { countTokens, readTurns, scriptAnswer, signatureOf, splitArgs, type Answer, type ScriptFormat, type ScriptInput, type ScriptToolCall, type ScriptToolChoice, type Turn } from '../answer.js';
import type { Fault } from '../faults.js';
import { sendJson, streamWithFaults } from '../server.js';
import { effortProblem, removedSamplingProblem, thinkingFormProblem, thinkingTurnProblem, type TurnShape } from '../anthropic/validate.js';
import { redactedBlock, redactsThinking } from '../anthropic/blocks.js';
import { cachedPrefix } from './cache-points.js';
import { requestId } from './errors.js';
import { corruptFrame, eventFrame, exceptionFrame, withPadding } from './eventstream.js';

type Block = Record<string, unknown>;

/** A Converse body read into the shared script input, plus the prompt text up to its last cache point (undefined: none). */
export interface ConverseInput extends ScriptInput {
  cachedPrefix: string | undefined;
  /** `additionalModelResponseFieldPaths`: JSON Pointers into the model's own answer, returned in `additionalModelResponseFields`. */
  responseFieldPaths: string[];
}

function blockText(blocks: unknown): string {
  if (!Array.isArray(blocks)) return '';
  return (blocks as Block[]).map((b) => (typeof b.text === 'string' ? b.text : b.json !== undefined ? JSON.stringify(b.json) : '')).join('');
}

/**
 * Reads a Converse request body (system, messages of content blocks, toolConfig, inferenceConfig). A
 * final assistant message is continued, as Claude models on Converse do.
 */
export function converseScriptInput(model: string, body: Record<string, unknown>): ConverseInput {
  const systemBlocks = (Array.isArray(body.system) ? body.system : []) as Block[];
  const system = blockText(systemBlocks);
  let promptText = system;
  let lastUser = '';
  let images = 0;
  let toolResults: string[] = [];
  const turns: Turn[] = [];
  for (const m of (Array.isArray(body.messages) ? body.messages : []) as Array<{ role?: string; content?: unknown }>) {
    const blocks = (Array.isArray(m.content) ? m.content : []) as Block[];
    if (m.role === 'assistant') {
      toolResults = [];
      const said = blockText(blocks);
      promptText += said;
      turns.push({ role: 'assistant', text: said });
      continue;
    }
    const results: string[] = [];
    let text = '';
    for (const b of blocks) {
      if (typeof b.text === 'string') text += b.text;
      else if (b.image) images += 1;
      else if (b.toolResult) results.push(blockText((b.toolResult as { content?: unknown }).content));
    }
    promptText += text + results.join('');
    turns.push({ role: 'user', text });
    // Like an OpenAI user message after tool messages: new user text starts a fresh question.
    if (text !== '') {
      lastUser = text;
      toolResults = [];
    } else toolResults = results;
  }
  const toolConfig = (body.toolConfig ?? {}) as { tools?: Array<{ toolSpec?: { name?: string } }>; toolChoice?: unknown };
  const inference = (body.inferenceConfig ?? {}) as { maxTokens?: number; stopSequences?: string[] };
  const { continues, lastUser: asked } = readTurns(turns, /claude/i.test(model));
  return {
    model,
    system,
    lastUser: continues === undefined ? lastUser : asked,
    continues,
    toolResults,
    promptText,
    images,
    tools: (toolConfig.tools ?? []).map((t) => ({ name: t.toolSpec?.name ?? 'tool' })),
    maxTokens: inference.maxTokens,
    stop: inference.stopSequences ?? [],
    cachedPrefix: cachedPrefix(body),
    reason: claudeThinking(model, body),
    toolChoice: toolChoiceOf(toolConfig.toolChoice),
    format: outputFormatOf(body),
    responseFieldPaths: Array.isArray(body.additionalModelResponseFieldPaths) ? body.additionalModelResponseFieldPaths.filter((p): p is string => typeof p === 'string') : [],
  };
}

/** Converse's toolChoice: `{auto: {}}`, `{any: {}}` (a call is forced) or `{tool: {name}}`. */
function toolChoiceOf(choice: unknown): ScriptToolChoice | undefined {
  if (typeof choice !== 'object' || choice === null) return undefined;
  const { any, tool } = choice as { any?: unknown; tool?: { name?: unknown } };
  if (any !== undefined) return 'required';
  return typeof tool?.name === 'string' ? { name: tool.name } : undefined;
}

interface TextFormat {
  type?: unknown;
  structure?: { jsonSchema?: { schema?: unknown } };
}

/** Structured output's JSON Schema, which Converse takes as JSON text (`outputConfig.textFormat.structure.jsonSchema.schema`); undefined unless that is an object's. */
function outputSchema(format: TextFormat): Record<string, unknown> | undefined {
  const text = format.structure?.jsonSchema?.schema;
  if (typeof text !== 'string') return undefined;
  try {
    const schema: unknown = JSON.parse(text);
    return typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? (schema as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function textFormatOf(body: Record<string, unknown>): TextFormat | undefined {
  return (body.outputConfig as { textFormat?: TextFormat } | undefined)?.textFormat;
}

function outputFormatOf(body: Record<string, unknown>): ScriptFormat | undefined {
  const format = textFormatOf(body);
  const schema = format?.type === 'json_schema' ? outputSchema(format) : undefined;
  return schema === undefined ? undefined : { type: 'json_schema', schema };
}

/**
 * A textFormat Converse refuses: another type than json_schema, or a schema that is not the JSON text of
 * an object. The wording is not in the provider notes or the issue threads searched, so it is neutral:
 * only the status and the exception's name are Bedrock's.
 */
function outputFormatProblem(body: Record<string, unknown>): string | undefined {
  const format = textFormatOf(body);
  if (format === undefined) return undefined;
  if (format.type !== 'json_schema') return 'outputConfig.textFormat.type must be json_schema.';
  return outputSchema(format) === undefined ? 'outputConfig.textFormat.structure.jsonSchema.schema must be a JSON Schema written as a JSON string.' : undefined;
}

/**
 * `additionalModelResponseFields` for the paths asked: each a JSON Pointer into the model's native
 * answer, a field the answer lacks left out ("it is ignored by Converse"). Claude's answer has
 * `stop_sequence`, the sequence that stopped it or null; other models' have none here. Undefined: none asked or found.
 */
function responseFields(input: ConverseInput, answer: Answer): Record<string, unknown> | undefined {
  if (!/claude/i.test(input.model) || !input.responseFieldPaths.includes('/stop_sequence')) return undefined;
  return { stop_sequence: answer.finish === 'stop_sequence' ? firedStop(input) : null };
}

/** The stop sequence that cut the scripted answer: the one found first in the whole text. */
function firedStop(input: ConverseInput): string | null {
  const full = scriptAnswer({ ...input, stop: [], maxTokens: undefined }).chunks.join('');
  let fired: string | null = null;
  let at = Infinity;
  for (const s of input.stop) {
    const i = s === '' ? -1 : full.indexOf(s);
    if (i !== -1 && i < at) {
      at = i;
      fired = s;
    }
  }
  return fired;
}

/** Claude's thinking on Converse (extended or adaptive), asked for through `additionalModelRequestFields.thinking`. */
function claudeThinking(model: string, body: Record<string, unknown>): boolean | undefined {
  const thinking = (body.additionalModelRequestFields as { thinking?: { type?: unknown } } | undefined)?.thinking;
  if (!/claude/i.test(model) || thinking === undefined) return undefined;
  return thinking.type === 'enabled' || thinking.type === 'adaptive';
}

const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'];

/**
 * What Bedrock (and Claude behind it) refuses that an adapter can get wrong: a thinking form the model
 * does not take (the budget form to Claude Opus 4.7 and later), a thinking budget under 1,024 tokens or
 * not below maxTokens, an effort Claude does not know, thinking in a tool loop whose assistant turn does not open with thinking,
 * and reasoning handed back with a signature that is not the model's.
 */
export function converseProblem(model: string, body: Record<string, unknown>): string | undefined {
  const fields = body.additionalModelRequestFields as { thinking?: { type?: unknown; budget_tokens?: unknown }; output_config?: { effort?: unknown } } | undefined;
  const thinking = fields?.thinking;
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Array<{ role?: string; content?: unknown }>;
  if (/claude/i.test(model)) {
    // Claude's sampling settings travel in inferenceConfig, top_k in the model's own fields.
    const inference = (body.inferenceConfig ?? {}) as { temperature?: unknown; topP?: unknown };
    const removed = removedSamplingProblem({ temperature: inference.temperature, top_p: inference.topP, top_k: (fields as { top_k?: unknown } | undefined)?.top_k }, model);
    if (removed) return `The model returned the following errors: ${removed}`;
  }
  if (thinking?.type === 'enabled' || thinking?.type === 'adaptive') {
    if (!/claude/i.test(model)) return 'The model returned the following errors: thinking is not supported by this model.';
    // Claude behind Converse refuses a thinking form the model does not take as it does on Anthropic's API.
    const form = thinkingFormProblem(thinking, model);
    if (form) return `The model returned the following errors: ${form}`;
    const budget = thinking.budget_tokens;
    const maxTokens = (body.inferenceConfig as { maxTokens?: unknown } | undefined)?.maxTokens;
    if (thinking.type === 'enabled' && (typeof budget !== 'number' || budget < 1024)) return 'The model returned the following errors: thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if (thinking.type === 'enabled' && typeof maxTokens === 'number' && typeof budget === 'number' && budget >= maxTokens) return 'The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`';
    const turnProblem = thinkingTurnProblem(messages.map(claudeTurnShape));
    if (turnProblem) return `The model returned the following errors: ${turnProblem}`;
  }
  const effort = fields?.output_config?.effort;
  if (effort !== undefined && !EFFORTS.includes(String(effort))) return "The model returned the following errors: output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'";
  const unsupportedEffort = effortProblem(fields?.output_config, model);
  if (unsupportedEffort) return `The model returned the following errors: ${unsupportedEffort}`;
  let toolBlocks = false;
  for (const [i, m] of messages.entries()) {
    for (const [j, b] of ((Array.isArray(m.content) ? m.content : []) as Block[]).entries()) {
      if (b.toolUse !== undefined || b.toolResult !== undefined) toolBlocks = true;
      const blank = blankText(b) ?? blankText(b.toolResult as Block | undefined);
      if (blank) return `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`;
      const reasoning = (b.reasoningContent as { reasoningText?: { text?: unknown; signature?: unknown } } | undefined)?.reasoningText;
      if (reasoning && (typeof reasoning.text !== 'string' || reasoning.signature !== signatureOf([reasoning.text]))) {
        return 'The model returned the following errors: Invalid `signature` in `thinking` block';
      }
    }
  }
  if (toolBlocks && body.toolConfig === undefined) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  const format = outputFormatProblem(body);
  if (format) return format;
  // "Converse and ConverseStream reject an empty JSON Pointer or incorrectly structured JSON Pointer with a 400 error code."
  const paths = body.additionalModelResponseFieldPaths;
  if (paths !== undefined && (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || !p.startsWith('/')))) return 'The additionalModelResponseFieldPaths field must hold JSON Pointers, such as /stop_sequence.';
  return duplicateToolProblem(body.toolConfig);
}

/**
 * Converse refuses two toolSpecs of one name with a 400 ValidationException. Its wording is not in the
 * provider notes, AWS's docs or the issue threads searched, so this message is neutral: only the status
 * and the exception's name are Bedrock's.
 */
function duplicateToolProblem(toolConfig: unknown): string | undefined {
  const tools = (toolConfig as { tools?: unknown } | undefined)?.tools;
  const seen = new Set<string>();
  for (const tool of Array.isArray(tools) ? (tools as Array<{ toolSpec?: { name?: unknown } }>) : []) {
    const name = tool.toolSpec?.name;
    if (typeof name !== 'string') continue;
    if (seen.has(name)) return `Tool names in toolConfig.tools must be unique: '${name}' is given more than once.`;
    seen.add(name);
  }
  return undefined;
}

/** A text block that is blank, or a tool result whose content is empty or holds one (Converse refuses both). */
function blankText(b: Block | undefined): boolean | undefined {
  if (b === undefined) return undefined;
  if (typeof b.text === 'string') return b.text.trim() === '';
  if (b.content === undefined) return undefined;
  const content = Array.isArray(b.content) ? (b.content as Block[]) : [];
  return content.length === 0 || content.some((c) => typeof c.text === 'string' && c.text.trim() === '');
}

/** A Converse message as Claude sees it behind Converse: Messages API block types, cache points left out. */
function claudeTurnShape(m: { role?: string; content?: unknown }): TurnShape {
  const types: string[] = [];
  for (const b of (Array.isArray(m.content) ? m.content : []) as Block[]) {
    if (b.cachePoint !== undefined) continue;
    if (b.reasoningContent !== undefined) types.push((b.reasoningContent as { redactedContent?: unknown }).redactedContent === undefined ? 'thinking' : 'redacted_thinking');
    else if (b.toolUse !== undefined) types.push('tool_use');
    else if (b.toolResult !== undefined) types.push('tool_result');
    else types.push(b.image !== undefined ? 'image' : b.document !== undefined ? 'document' : 'text');
  }
  return { role: String(m.role), types };
}

const STOP_REASON: Record<Answer['finish'], string> = { stop: 'end_turn', stop_sequence: 'stop_sequence', length: 'max_tokens', tool_calls: 'tool_use' };

/** Bedrock's usage: `inputTokens` leaves out the tokens read from the prompt cache. */
function usageOf(answer: Answer, input: ConverseInput): Record<string, number> {
  const cached = answer.cachedTokens > 0 ? answer.cachedTokens : input.cachedPrefix !== undefined ? countTokens(input.cachedPrefix) : 0;
  const inputTokens = answer.promptTokens - cached;
  const usage: Record<string, number> = { inputTokens, outputTokens: answer.completionTokens, totalTokens: answer.promptTokens + answer.completionTokens };
  if (cached > 0 || input.cachedPrefix !== undefined) Object.assign(usage, { cacheReadInputTokens: cached, cacheWriteInputTokens: 0 });
  return usage;
}

const GUARDRAIL_TEXT = 'Sorry, the model cannot answer this question.';

/** The answer for a request; a fault naming a filtering stop reason replaces it with a blocked one. */
function answerFor(input: ConverseInput, fault: Fault): { answer: Answer; stopReason: string } {
  const answer = scriptAnswer(input);
  if (fault.error === 'guardrail_intervened' || fault.error === 'content_filtered') {
    const blocked: Answer = { chunks: [GUARDRAIL_TEXT], finish: 'stop', promptTokens: answer.promptTokens, completionTokens: 0, cachedTokens: answer.cachedTokens, reasoningTokens: 0 };
    return { answer: blocked, stopReason: fault.error };
  }
  return { answer, stopReason: STOP_REASON[answer.finish] };
}

/** POST /model/{id}/converse */
export function converse(res: ServerResponse, input: ConverseInput, fault: Fault, startedAt: number): void {
  const { answer, stopReason } = answerFor(input, fault);
  if (fault.malformed) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId() });
    res.end('{"output":{"message":{"role":"assistant","content":[');
    return;
  }
  const content: Block[] = [];
  if (answer.reasoning) content.push({ reasoningContent: { reasoningText: { text: answer.reasoning.join(''), signature: signatureOf(answer.reasoning) } } });
  const redacted = redactedContent(answer, input);
  if (redacted !== undefined) content.push({ reasoningContent: { redactedContent: redacted } });
  if (answer.toolCalls) {
    for (const call of answer.toolCalls) content.push({ toolUse: { toolUseId: call.id, name: call.name, input: JSON.parse(call.arguments) as unknown } });
  } else content.push({ text: answer.chunks.join('') });
  const fields = responseFields(input, answer);
  sendJson(res, 200, {
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage: usageOf(answer, input),
    metrics: { latencyMs: Math.max(1, Date.now() - startedAt) },
    ...(fields && { additionalModelResponseFields: fields }),
  });
}

/** Lower-camel exception type for an in-stream error (`ThrottlingException` -> `throttlingException`). */
function streamExceptionType(error: string | undefined): string {
  const name = error ?? 'modelStreamErrorException';
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** POST /model/{id}/converse-stream: binary event-stream frames with the fault's timing and breaks. */
export async function converseStream(res: ServerResponse, input: ConverseInput, fault: Fault, startedAt: number): Promise<void> {
  const { answer, stopReason } = answerFor(input, fault);
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': requestId() });
  res.write(eventFrame('messageStart', withPadding({ role: 'assistant' })));
  if (fault.malformed) {
    res.end(corruptFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'broken' } }));
    return;
  }
  const index = streamReasoning(res, answer, input);
  // Each tool call is its own block, one after another: start, input deltas, stop.
  const pieces = blockPieces(answer, index);
  const complete = await streamWithFaults(
    pieces,
    fault,
    res,
    (piece) => {
      const { call, text } = piece;
      if (call && piece.opens) {
        if (piece.index !== index) res.write(eventFrame('contentBlockStop', { contentBlockIndex: piece.index - 1 }));
        res.write(eventFrame('contentBlockStart', { contentBlockIndex: piece.index, start: { toolUse: { toolUseId: call.id, name: call.name } } }));
      }
      res.write(eventFrame('contentBlockDelta', withPadding({ contentBlockIndex: piece.index, delta: call ? { toolUse: { input: text } } : { text } })));
    },
    () => {
      const type = streamExceptionType(fault.error);
      const message = fault.error_message ?? (type === 'throttlingException' ? 'Too many requests, please wait before trying again.' : 'The model encountered an error while streaming.');
      const payload = type === 'modelStreamErrorException' ? { message, originalStatusCode: 500, originalMessage: message } : { message };
      res.end(exceptionFrame(type, payload));
    },
  );
  if (!complete) return;
  res.write(eventFrame('contentBlockStop', { contentBlockIndex: pieces.at(-1)?.index ?? index }));
  const fields = responseFields(input, answer);
  res.write(eventFrame('messageStop', fields ? { stopReason, additionalModelResponseFields: fields } : { stopReason }));
  res.end(eventFrame('metadata', { usage: usageOf(answer, input), metrics: { latencyMs: Math.max(1, Date.now() - startedAt) } }));
}

/**
 * Claude's redacted thinking, as Converse carries it: the encrypted thinking as `redactedContent` bytes
 * (base64 in JSON), for Anthropic's redacted-thinking test string, as the Anthropic simulator answers it.
 */
function redactedContent(answer: Answer, input: ConverseInput): string | undefined {
  return answer.reasoning && redactsThinking(answer, input.lastUser) ? String(redactedBlock(answer.reasoning).data) : undefined;
}

/**
 * Streams the reasoning first, as its own content block: text deltas, then the signature; redacted
 * reasoning is the next block, one redactedContent delta. Returns the index of the next block.
 */
function streamReasoning(res: ServerResponse, answer: Answer, input: ConverseInput): number {
  if (!answer.reasoning) return 0;
  for (const text of answer.reasoning) res.write(eventFrame('contentBlockDelta', withPadding({ contentBlockIndex: 0, delta: { reasoningContent: { text } } })));
  res.write(eventFrame('contentBlockDelta', withPadding({ contentBlockIndex: 0, delta: { reasoningContent: { signature: signatureOf(answer.reasoning) } } })));
  res.write(eventFrame('contentBlockStop', { contentBlockIndex: 0 }));
  const redacted = redactedContent(answer, input);
  if (redacted === undefined) return 1;
  res.write(eventFrame('contentBlockDelta', withPadding({ contentBlockIndex: 1, delta: { reasoningContent: { redactedContent: redacted } } })));
  res.write(eventFrame('contentBlockStop', { contentBlockIndex: 1 }));
  return 2;
}

/** One streamed piece: answer text, or a piece of a tool call's input (`opens` on a call's first). */
interface BlockPiece {
  index: number;
  text: string;
  call?: ScriptToolCall;
  opens: boolean;
}

/** The answer's text or tool-call pieces, the blocks numbered from `first`. */
function blockPieces(answer: Answer, first: number): BlockPiece[] {
  if (!answer.toolCalls) return answer.chunks.map((text) => ({ index: first, text, opens: false }));
  return answer.toolCalls.flatMap((call, k) => splitArgs(call.arguments).map((text, i) => ({ index: first + k, text, call, opens: i === 0 })));
}
