import { GatewayError } from '../../core/errors.js';
import type { AssistantPart, Message } from '../../core/types.js';

function bad(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}

/** OpenAI's refusal of an orphan tool message, its spelling ('preceeding') kept: clients match the text. */
function orphan(i: number): GatewayError {
  return bad(`messages.[${i}].role`, "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.");
}

/** OpenAI's refusal of tool calls left unanswered, naming the assistant message that made them. */
function unansweredCalls(asker: number, ids: readonly string[]): GatewayError {
  const listed = ids.map((id) => id.slice(0, 64)).join(', ').slice(0, 256);
  return bad(`messages.[${asker}].role`, `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${listed}`);
}

/**
 * OpenAI's rule for tool messages, checked here so every provider gets the same 400 in OpenAI's words
 * and parameter (`messages.[N].role`): a `tool` message answers a tool call of the assistant message it
 * follows (other tool messages may come between), and every such call is answered before the
 * conversation goes on or ends. Without it an orphan result or an unanswered call would fail at the
 * upstream in another API's terms, be read as a stray user turn, or be sent to an upstream that bills it.
 * One pass; requests without tools only compare roles.
 */
export function checkToolMessages(messages: readonly Message[]): void {
  let open: readonly string[] = NONE;
  let unanswered: readonly string[] = NONE;
  let asker = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    if (m.role === 'tool') {
      if (!open.includes(m.toolCallId)) throw orphan(i);
      unanswered = unanswered.filter((id) => id !== m.toolCallId);
      continue;
    }
    if (unanswered.length > 0) throw unansweredCalls(asker, unanswered);
    open = m.role === 'assistant' ? callsOf(m.content) : NONE;
    unanswered = open;
    asker = i;
  }
  if (unanswered.length > 0) throw unansweredCalls(asker, unanswered);
}

const NONE: readonly string[] = Object.freeze([]);

/** The ids of an assistant message's tool calls; the shared empty list when it makes none. */
function callsOf(parts: readonly AssistantPart[]): readonly string[] {
  let ids: string[] | undefined;
  for (const p of parts) if (p.type === 'tool-call') (ids ??= []).push(p.id);
  return ids ?? NONE;
}
