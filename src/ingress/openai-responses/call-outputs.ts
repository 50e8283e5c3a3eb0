import { GatewayError } from '../../core/errors.js';
import type { Message } from '../../core/types.js';

function refused(message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', code: 'invalid_request', param: 'input', message });
}

/**
 * The Responses API's pairing of calls and outputs, checked on the whole conversation (the stored
 * response it continues, then the input) so every provider gets the same 400 in its words: each
 * `function_call_output` answers a `function_call` earlier in it, and each `function_call` is answered
 * by an output. An unanswered call otherwise reached an upstream that refuses it in another API's terms
 * (Anthropic, Bedrock) or one that bills an answer to a conversation the client got wrong.
 */
export function checkCallOutputs(history: readonly Message[]): void {
  let calls: Set<string> | undefined;
  let unanswered: Set<string> | undefined;
  for (const m of history) {
    if (m.role === 'assistant') {
      for (const p of m.content) {
        if (p.type !== 'tool-call') continue;
        (calls ??= new Set()).add(p.id);
        (unanswered ??= new Set()).add(p.id);
      }
    } else if (m.role === 'tool') {
      if (!calls?.has(m.toolCallId)) throw refused(`No tool call found for function call output with call_id ${m.toolCallId.slice(0, 64)}.`);
      unanswered?.delete(m.toolCallId);
    }
  }
  if (unanswered && unanswered.size > 0) {
    const [first] = unanswered;
    throw refused(`No tool output found for function call ${String(first).slice(0, 64)}.`);
  }
}
