import { GatewayError } from '../../../core/errors.js';
import type { FinishReason, Usage } from '../../../core/types.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';

/**
 * Converse stopReason to canonical. A guardrail or the model's own filter is a content filter; a
 * window overflow mid-answer is a truncation like max_tokens. An answer with tool calls that says
 * `end_turn` (as Bedrock sometimes does) is `tool_calls`: clients run the tools only on that reason.
 */
export function mapStopReason(raw: unknown, hasToolCalls = false): FinishReason {
  switch (raw) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}

/**
 * A tool call or answer the model could not form (`malformed_tool_use`, `malformed_model_output`) is a
 * model glitch: worth a retry or another deployment, never a clean stop with nothing in it.
 */
export function malformedOutput(raw: unknown, upstream: UpstreamRef, paidUsage?: Usage): GatewayError | undefined {
  if (raw !== 'malformed_tool_use' && raw !== 'malformed_model_output') return undefined;
  const what = raw === 'malformed_tool_use' ? 'tool call' : 'answer';
  return new GatewayError({ kind: 'upstream_error', message: `Upstream ${nameOf(upstream)} produced a malformed ${what}.`, provider: providerOf(upstream), upstreamStatus: 200, code: raw, paidUsage });
}

/**
 * A `tool_use` stop with no tool call: a client told to run tools would find none (an OpenAI client
 * loops or fails on `tool_calls` without any), and `stop` would pass off an answer cut where the model
 * meant to call a tool as complete. A malformed reply, whole or streamed: another deployment may answer.
 */
export function toolUseWithoutCall(upstream: UpstreamRef, paidUsage?: Usage): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned a malformed response: tool_use without a tool call.`, provider: providerOf(upstream), upstreamStatus: 200, paidUsage });
}

/** A call to the tool offering nothing (declared only because Converse requires a toolConfig): retried, never served. */
export function toolNotOffered(upstream: UpstreamRef, paidUsage?: Usage): GatewayError {
  return new GatewayError({ kind: 'upstream_error', message: `Upstream ${nameOf(upstream)} called a tool the request did not offer.`, provider: providerOf(upstream), upstreamStatus: 200, code: 'tool_not_offered', paidUsage });
}
