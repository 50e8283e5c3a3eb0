import { GatewayError } from '../../core/errors.js';
import type { AssistantPart, Message } from '../../core/types.js';

function bad(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}

/**
 * OpenAI's rule for tool messages, checked here so every provider gets the same 400 in OpenAI's words:
 * a `tool` message answers a tool call of the assistant message it follows (other tool messages may
 * come between), and every such call is answered before the conversation goes on. Without it an orphan
 * result would fail at the upstream in another API's terms, or be read as a stray user turn.
 * One pass; requests without tools only compare roles.
 */
export function checkToolMessages(messages: readonly Message[]): void {
  let open: readonly string[] = NONE;
  let unanswered: readonly string[] = NONE;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    if (m.role === 'tool') {
      if (!open.includes(m.toolCallId)) {
        throw bad(`messages[${i}].tool_call_id`, `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' ('${m.toolCallId.slice(0, 64)}' is not one of its calls).`);
      }
      unanswered = unanswered.filter((id) => id !== m.toolCallId);
      continue;
    }
    if (unanswered.length > 0) {
      throw bad(`messages[${i}]`, "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'.");
    }
    open = m.role === 'assistant' ? callsOf(m.content) : NONE;
    unanswered = open;
  }
}

const NONE: readonly string[] = Object.freeze([]);

/** The ids of an assistant message's tool calls; the shared empty list when it makes none. */
function callsOf(parts: readonly AssistantPart[]): readonly string[] {
  let ids: string[] | undefined;
  for (const p of parts) if (p.type === 'tool-call') (ids ??= []).push(p.id);
  return ids ?? NONE;
}
