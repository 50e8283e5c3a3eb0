// OpenAI chat wire pieces shared by the OpenAI-compatible and Azure OpenAI simulators.
import type { ServerResponse } from 'node:http';
import type { Answer } from '../answer.js';
import { sendJson } from '../server.js';

type ToolCall = NonNullable<Answer['toolCall']>;

/** Parses a JSON request body, or answers 400 as OpenAI does and returns undefined. */
export function readJsonBody(res: ServerResponse, body: Buffer): Record<string, unknown> | undefined {
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    sendJson(res, 400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } });
    return undefined;
  }
}

/** The `tool_calls` of a non-streamed assistant message. */
export function toolCallsOf(call: ToolCall): Array<Record<string, unknown>> {
  return [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }];
}

/** The delta streaming argument piece `i`; the first piece also names the call. */
export function toolCallDelta(call: ToolCall, piece: string, i: number): Record<string, unknown> {
  const delta: Record<string, unknown> = { index: 0, function: { arguments: piece } };
  if (i === 0) Object.assign(delta, { id: call.id, type: 'function', function: { name: call.name, arguments: piece } });
  return { tool_calls: [delta] };
}
