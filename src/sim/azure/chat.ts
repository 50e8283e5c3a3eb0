import type { ServerResponse } from 'node:http';
import { interleavedArguments, scriptAnswer, type ArgumentPiece, type ScriptToolCall } from '../answer.js';
import { openaiScriptInput, reasoningEffortProblem } from '../openai/index.js';
import { responseFormatProblem, toolCallDelta, toolCallsOf } from '../openai/wire.js';
import { sendJson, streamWithFaults } from '../server.js';
import type { Fault } from '../faults.js';
import { outputFilterResults, promptFilterResults } from './wire.js';

/** A simulated Azure deployment: the name clients address and the model version it serves. */
export interface SimDeployment {
  name: string;
  model: string;
}

let counter = 0;

/** What one answer will say, whole or streamed. */
interface AzureAnswer {
  id: string;
  created: number;
  model: string;
  finish: string;
  chunks: string[];
  toolCalls: ScriptToolCall[] | undefined;
  blocked: boolean;
  usage: {
    completion_tokens: number;
    completion_tokens_details: Record<string, number>;
    prompt_tokens: number;
    prompt_tokens_details: Record<string, number>;
    total_tokens: number;
  };
}

/**
 * Answers one chat completion as Azure does: content_filter_results on every choice,
 * prompt_filter_results on the body (or, streaming, in a leading chunk with `choices: []`), and for
 * an `error: content_filter_output` fault an answer cut short with finish_reason content_filter.
 */
export async function azureChat(
  res: ServerResponse,
  body: Record<string, unknown>,
  deployment: SimDeployment,
  fault: Fault,
  quotaHeaders: (tokens: number) => Record<string, string>,
): Promise<void> {
  const effort = reasoningEffortProblem(body);
  if (effort) return sendJson(res, effort.status, effort.body);
  // Azure refuses an empty tool list rather than reading it as none, in its older schema words.
  if (Array.isArray(body.tools) && body.tools.length === 0) {
    return sendJson(res, 400, { error: { message: "[] is too short - 'tools'", type: 'invalid_request_error', param: null, code: null } });
  }
  const format = responseFormatProblem(body);
  if (format) return sendJson(res, 400, format);
  const answer = planAnswer(body, deployment, fault);
  const headers = quotaHeaders(answer.usage.total_tokens);
  if (body.stream !== true) return sendWhole(res, answer, fault, headers);
  const opts = body.stream_options as { include_usage?: boolean } | undefined;
  return sendStream(res, answer, fault, headers, opts?.include_usage === true);
}

function planAnswer(body: Record<string, unknown>, deployment: SimDeployment, fault: Fault): AzureAnswer {
  const answer = scriptAnswer({ ...openaiScriptInput(body), model: deployment.name });
  const blocked = fault.error === 'content_filter_output';
  let finish: string = answer.finish === 'stop_sequence' ? 'stop' : answer.finish;
  let chunks = answer.chunks;
  if (blocked) {
    chunks = chunks.slice(0, Math.max(1, Math.floor(chunks.length / 2)));
    finish = 'content_filter';
  }
  // Azure OpenAI reports reasoning tokens but never sends the reasoning text.
  const completionTokens = blocked ? Math.ceil(chunks.join('').length / 4) : answer.completionTokens;
  const usage = {
    completion_tokens: completionTokens,
    completion_tokens_details: { accepted_prediction_tokens: 0, audio_tokens: 0, reasoning_tokens: blocked ? 0 : answer.reasoningTokens, rejected_prediction_tokens: 0 },
    prompt_tokens: answer.promptTokens,
    prompt_tokens_details: { audio_tokens: 0, cached_tokens: answer.cachedTokens },
    total_tokens: answer.promptTokens + completionTokens,
  };
  return { id: `chatcmpl-az${++counter}`, created: Math.floor(Date.now() / 1000), model: deployment.model, finish, chunks, toolCalls: blocked ? undefined : answer.toolCalls, blocked, usage };
}

function sendWhole(res: ServerResponse, answer: AzureAnswer, fault: Fault, headers: Record<string, string>): void {
  if (fault.malformed) {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end('{"choices": [{"content_filter_results": {');
    return;
  }
  const toolCalls = answer.toolCalls ? toolCallsOf(answer.toolCalls) : undefined;
  const message: Record<string, unknown> = { annotations: [], content: toolCalls ? null : answer.chunks.join(''), refusal: null, role: 'assistant' };
  if (toolCalls) message.tool_calls = toolCalls;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, 200, {
    choices: [{ content_filter_results: outputFilterResults(answer.blocked), finish_reason: answer.finish, index: 0, logprobs: null, message }],
    created: answer.created,
    id: answer.id,
    model: answer.model,
    object: 'chat.completion',
    prompt_filter_results: promptFilterResults(),
    system_fingerprint: 'fp_azsim',
    usage: answer.usage,
  });
}

async function sendStream(res: ServerResponse, answer: AzureAnswer, fault: Fault, headers: Record<string, string>, includeUsage: boolean): Promise<void> {
  const { id, created, model, toolCalls } = answer;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  const send = (obj: unknown): void => {
    res.write(`data: ${JSON.stringify(obj)}\n\n`);
  };
  const frame = (delta: Record<string, unknown>, finishReason: string | null, filters: Record<string, unknown>): void =>
    send({ choices: [{ content_filter_results: filters, delta, finish_reason: finishReason, index: 0, logprobs: null }], created, id, model, object: 'chat.completion.chunk', system_fingerprint: 'fp_azsim' });
  // Azure's leading chunk: no choices, only the prompt's filter annotations. Then, as OpenAI, the role
  // with empty content and a null refusal, or for an answer that is a tool call no chunk of its own:
  // the call's first chunk carries the role, content null.
  send({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptFilterResults() });
  if (!toolCalls) frame({ content: '', refusal: null, role: 'assistant' }, null, {});
  if (fault.malformed) {
    res.end('data: {"choices": [{"delta": \n\n');
    return;
  }
  // Parallel calls stream interleaved, each chunk naming its call by index.
  const pieces: Array<ArgumentPiece | string> = toolCalls ? interleavedArguments(toolCalls) : answer.chunks;
  const complete = await streamWithFaults(
    pieces,
    fault,
    res,
    (piece, i) => (typeof piece !== 'string' ? frame(callDelta(piece, i), null, {}) : frame({ content: piece }, null, outputFilterResults(false))),
    () => {
      res.end(`data: ${JSON.stringify({ error: { message: fault.error_message ?? 'The server had an error while processing your request.', type: 'server_error', param: null, code: fault.error ?? 'server_error' } })}\n\n`);
    },
  );
  if (!complete) return;
  frame({}, answer.finish, answer.blocked ? outputFilterResults(true) : {});
  if (includeUsage) send({ choices: [], created, id, model, object: 'chat.completion.chunk', system_fingerprint: 'fp_azsim', usage: answer.usage });
  res.end('data: [DONE]\n\n');
}

/** A tool call's delta; the first one opens the answer, so it carries the role, null content and null refusal. */
function callDelta(piece: ArgumentPiece, i: number): Record<string, unknown> {
  const delta = toolCallDelta(piece);
  return i === 0 ? { content: null, refusal: null, role: 'assistant', tool_calls: delta.tool_calls } : delta;
}
