import type { ServerResponse } from 'node:http';
import { scriptAnswer, type Answer, type ScriptToolCall } from '../answer.js';
import { applyPreFault, sendJson } from '../server.js';
import type { Fault } from '../faults.js';
import { anthropicScriptInput, countInputTokens, matchedStop } from '../anthropic/script.js';
import { contentBlocks, redactsThinking, streamAnswerBlocks, streamThinking } from '../anthropic/blocks.js';
import { effortProblem, prefillProblem, removedSamplingProblem, thinkingFormProblem, validateMessagesBody } from '../anthropic/validate.js';
import { sendAnthropicError, sendFaultError as sendAnthropicFault, streamErrorBody } from '../anthropic/errors.js';
import { sendFaultError as sendGoogleFault } from './errors.js';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

type Json = Record<string, unknown>;

const STOP_REASON: Record<Answer['finish'], string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', stop_sequence: 'stop_sequence' };

let counter = 0;

/** Vertex's ids of Claude's tool calls: `toolu_vrtx_` and the script's id. */
const toolUseId = (call: ScriptToolCall): string => `toolu_vrtx_${call.id.slice(5)}`;

/** Checks the rawPredict body as Vertex does: its anthropic_version, no `model`, the Messages rules, and the model's prefill and thinking-form rules. */
function problemOf(body: Json, model: string, stream: boolean): string | undefined {
  if (body.anthropic_version !== VERTEX_ANTHROPIC_VERSION) return `anthropic_version: expected '${VERTEX_ANTHROPIC_VERSION}'`;
  if (stream !== (body.stream === true)) return stream ? 'stream: streamRawPredict needs "stream": true' : 'stream: use streamRawPredict to stream';
  return validateMessagesBody(body, { requireModel: false, version: VERTEX_ANTHROPIC_VERSION }) ?? prefillProblem(body, model) ?? thinkingFormProblem(body.thinking, model) ?? removedSamplingProblem(body, model) ?? effortProblem(body.output_config, model);
}

/**
 * A fault's status in the shape the real service uses: Vertex itself answers quota, auth and routing
 * failures in Google's shape (rule `error` in upper case, e.g. RESOURCE_EXHAUSTED); the model's own
 * errors (overloaded_error, invalid_request_error) come in Anthropic's.
 */
function sendFault(res: ServerResponse, fault: Fault): void {
  if (fault.error !== undefined && /^[A-Z_]+$/.test(fault.error)) sendGoogleFault(res, fault);
  else sendAnthropicFault(res, fault);
}

/** Claude on Vertex: :rawPredict (JSON) and :streamRawPredict (Anthropic SSE). */
export async function claudePredict(res: ServerResponse, body: Json, model: string, stream: boolean, fault: Fault): Promise<void> {
  if (!(await applyPreFault(fault, res))) return;
  if (fault.status) return sendFault(res, fault);
  const problem = problemOf(body, model, stream);
  if (problem) return sendAnthropicError(res, 400, 'invalid_request_error', problem);
  const input = anthropicScriptInput(body, model);
  const answer = scriptAnswer(input);
  const redacted = redactsThinking(answer, input.lastUser);
  const id = `msg_vrtx_sim${(++counter).toString(36)}`;
  const usage = {
    input_tokens: answer.promptTokens - answer.cachedTokens,
    output_tokens: answer.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: answer.cachedTokens,
  };
  const stopSequence = answer.finish === 'stop_sequence' ? matchedStop(body, model, body.stop_sequences as string[]) : null;
  if (!stream) {
    if (fault.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"id": "broken", "content": [');
    }
    const content = contentBlocks(answer, redacted, toolUseId);
    return sendJson(res, 200, { id, type: 'message', role: 'assistant', model, content, stop_reason: STOP_REASON[answer.finish], stop_sequence: stopSequence, usage });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const event = (name: string, data: Json): void => void res.write(`event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`);
  event('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
  if (fault.malformed) return void res.end('event: content_block_delta\ndata: {"type": "content_block_delta", "delta": {\n\n');
  const first = streamThinking(event, answer.reasoning, redacted);
  const complete = await streamAnswerBlocks(event, res, answer, first, fault, toolUseId, () => void res.end(`event: error\ndata: ${JSON.stringify(streamErrorBody(fault))}\n\n`));
  if (!complete) return;
  event('message_delta', { delta: { container: null, stop_reason: STOP_REASON[answer.finish], stop_sequence: stopSequence, stop_details: null }, usage: { output_tokens: answer.completionTokens } });
  event('message_stop', {});
  res.end();
}

/** `count-tokens:rawPredict`: the free token counter, with the model named in the body. */
export function claudeCountTokens(res: ServerResponse, body: Json): void {
  if (typeof body.model !== 'string' || !Array.isArray(body.messages)) {
    return sendAnthropicError(res, 400, 'invalid_request_error', 'model and messages are required');
  }
  sendJson(res, 200, { input_tokens: countInputTokens(body, body.model) });
}
