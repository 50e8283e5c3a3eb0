import type { ServerResponse } from 'node:http';
import { scriptAnswer, type Answer, type ScriptToolCall } from '../answer.js';
import type { Fault } from '../faults.js';
import { applyPreFault, sendJson } from '../server.js';
import { contentBlocks, redactsThinking, streamAnswerBlocks, streamThinking } from './blocks.js';
import { sendAnthropicError, sendFaultError, streamErrorBody } from './errors.js';
import { anthropicScriptInput, cachePrefix, matchedStop, type PromptCache } from './script.js';

type Json = Record<string, unknown>;

/** Context window of every simulated model; longer prompts get the API's "prompt is too long". */
export const SIM_CONTEXT_TOKENS = 200_000;

export interface MessagesContext {
  /** The model answering (from the body, or from the URL on Vertex/Bedrock). */
  model: string;
  cache: PromptCache;
}

let counter = 0;

/** The Messages API's id of a tool call: the script's with Anthropic's prefix. */
const toolUseId = (call: ScriptToolCall): string => call.id.replace(/^call_/, 'toolu_');

const STOP_REASON: Record<Answer['finish'], string> = { stop: 'end_turn', stop_sequence: 'stop_sequence', length: 'max_tokens', tool_calls: 'tool_use' };

/**
 * Answers one validated Messages request (JSON or SSE) with the scripted model, applying the fault.
 * Exported for the Vertex (:rawPredict / :streamRawPredict) and Bedrock InvokeModel simulators.
 */
export async function answerMessages(res: ServerResponse, body: Json, fault: Fault, ctx: MessagesContext): Promise<void> {
  if (!(await applyPreFault(fault, res))) return;
  if (fault.status) return sendFaultError(res, fault);
  const input = anthropicScriptInput(body, ctx.model);
  const answer = scriptAnswer(input);
  if (answer.promptTokens > SIM_CONTEXT_TOKENS) {
    return sendAnthropicError(res, 400, 'invalid_request_error', `prompt is too long: ${answer.promptTokens} tokens > ${SIM_CONTEXT_TOKENS} maximum`);
  }
  const prefix = cachePrefix(body);
  const cached = ctx.cache.use(ctx.model, prefix);
  const usage = {
    input_tokens: Math.max(0, answer.promptTokens - cached.read - cached.write),
    cache_creation_input_tokens: cached.write,
    cache_read_input_tokens: cached.read,
    // The writes by TTL, as the API reports them; only for a request that caches, so others keep their older shape.
    ...(prefix.text === '' ? {} : { cache_creation: { ephemeral_5m_input_tokens: cached.write - cached.write1h, ephemeral_1h_input_tokens: cached.write1h } }),
    output_tokens: answer.completionTokens,
    service_tier: 'standard',
  };
  const id = `msg_sim${++counter}`;
  const refused = fault.refusal_category !== undefined;
  const stopReason = refused ? 'refusal' : STOP_REASON[answer.finish];
  const stopSequence = !refused && answer.finish === 'stop_sequence' ? matchedStop(body, ctx.model, input.stop) : null;
  const stopDetails = refused ? { type: 'refusal', category: fault.refusal_category, explanation: 'This request was declined by a safety classifier.' } : null;
  const redacted = redactsThinking(answer, input.lastUser);
  if (body.stream !== true) {
    if (fault.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "broken", "content": [');
      return;
    }
    const content = contentBlocks(answer, redacted, toolUseId);
    sendJson(res, 200, { id, type: 'message', role: 'assistant', model: ctx.model, content, stop_reason: stopReason, stop_sequence: stopSequence, stop_details: stopDetails, usage });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': `req_${id}` });
  const send = (event: string, data: Json): boolean => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  send('message_start', {
    message: { id, type: 'message', role: 'assistant', model: ctx.model, content: [], stop_reason: null, stop_sequence: null, stop_details: null, usage: { ...usage, output_tokens: 1 } },
  });
  if (fault.malformed) {
    res.end('event: content_block_start\ndata: {"type": "content_block_start", "index": \n\n');
    return;
  }
  const first = streamThinking(send, answer.reasoning, redacted);
  const complete = await streamAnswerBlocks(send, res, answer, first, fault, toolUseId, () => {
    res.end(`event: error\ndata: ${JSON.stringify(streamErrorBody(fault))}\n\n`);
  });
  if (!complete) return;
  // message_delta carries the cumulative counts (service_tier and the writes by TTL only travel in message_start).
  const { service_tier: _tier, cache_creation: _byTtl, ...cumulative } = usage;
  send('message_delta', { delta: { container: null, stop_reason: stopReason, stop_sequence: stopSequence, stop_details: stopDetails }, usage: cumulative });
  send('message_stop', {});
  res.end();
}
