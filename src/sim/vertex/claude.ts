import type { ServerResponse } from 'node:http';
import { scriptAnswer, splitArgs, type Answer } from '../answer.js';
import { applyPreFault, sendJson, streamWithFaults } from '../server.js';
import type { Fault } from '../faults.js';
import { anthropicScriptInput, countInputTokens } from '../anthropic/script.js';
import { streamThinking, thinkingBlock } from '../anthropic/messages.js';
import { effortProblem, prefillProblem, removedSamplingProblem, thinkingFormProblem, validateMessagesBody } from '../anthropic/validate.js';
import { sendAnthropicError, sendFaultError as sendAnthropicFault, streamErrorBody } from '../anthropic/errors.js';
import { sendFaultError as sendGoogleFault } from './errors.js';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

type Json = Record<string, unknown>;

const STOP_REASON: Record<Answer['finish'], string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', stop_sequence: 'stop_sequence' };

let counter = 0;

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
  const answer = scriptAnswer(anthropicScriptInput(body, model));
  const id = `msg_vrtx_sim${(++counter).toString(36)}`;
  const usage = {
    input_tokens: answer.promptTokens - answer.cachedTokens,
    output_tokens: answer.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: answer.cachedTokens,
  };
  const call = answer.toolCall;
  const stopSequence = answer.finish === 'stop_sequence' ? ((body.stop_sequences as string[]).find((s) => s !== '') ?? null) : null;
  if (!stream) {
    if (fault.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"id": "broken", "content": [');
    }
    const content: Json[] = call ? [{ type: 'tool_use', id: `toolu_vrtx_${call.id.slice(5)}`, name: call.name, input: JSON.parse(call.arguments) as Json }] : [{ type: 'text', text: answer.chunks.join('') }];
    if (answer.reasoning) content.unshift(thinkingBlock(answer.reasoning));
    return sendJson(res, 200, { id, type: 'message', role: 'assistant', model, content, stop_reason: STOP_REASON[answer.finish], stop_sequence: stopSequence, usage });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const event = (name: string, data: Json): void => void res.write(`event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`);
  event('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
  if (fault.malformed) return void res.end('event: content_block_delta\ndata: {"type": "content_block_delta", "delta": {\n\n');
  const block = call ? { type: 'tool_use', id: `toolu_vrtx_${call.id.slice(5)}`, name: call.name, input: {} } : { type: 'text', text: '' };
  const index = streamThinking(event, answer.reasoning);
  event('content_block_start', { index, content_block: block });
  event('ping', {});
  const pieces = call ? splitArgs(call.arguments) : answer.chunks;
  const complete = await streamWithFaults(
    pieces,
    fault,
    res,
    (piece) => event('content_block_delta', { index, delta: call ? { type: 'input_json_delta', partial_json: piece } : { type: 'text_delta', text: piece } }),
    () => void res.end(`event: error\ndata: ${JSON.stringify(streamErrorBody(fault))}\n\n`),
  );
  if (!complete) return;
  event('content_block_stop', { index });
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
