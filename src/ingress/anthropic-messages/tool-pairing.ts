import { isObject } from '../../core/json.js';
import { fail } from './check.js';

/** The ids of the blocks of `type` in a message's content (a string content has none). */
function idsOf(content: unknown, type: 'tool_use' | 'tool_result'): Array<{ id: unknown; at: number }> {
  if (!Array.isArray(content)) return [];
  const out: Array<{ id: unknown; at: number }> = [];
  content.forEach((b: unknown, at) => {
    if (isObject(b) && b.type === type) out.push({ id: type === 'tool_use' ? b.id : b.tool_use_id, at });
  });
  return out;
}

/**
 * The Messages API's pairing rule, checked here so every provider gets the same 400 in Anthropic's
 * words: each tool_result answers a tool_use of the assistant message just before it, and every
 * tool_use of an assistant message followed by a user message is answered there. Without it an
 * orphan result would fail upstream, named in another API's terms or not at all.
 */
export function checkToolPairing(messages: readonly unknown[]): void {
  let pending: unknown[] = [];
  messages.forEach((m: unknown, i) => {
    if (!isObject(m)) return;
    if (m.role === 'assistant') {
      pending = idsOf(m.content, 'tool_use').map((u) => u.id);
      return;
    }
    const results = idsOf(m.content, 'tool_result');
    for (const r of results) {
      if (!pending.includes(r.id)) {
        fail(`messages.${i}.content.${r.at}.tool_use_id`, 'must name a tool_use block of the previous (assistant) message: each tool_result answers one');
      }
    }
    const unanswered = pending.filter((id) => !results.some((r) => r.id === id));
    if (unanswered.length > 0) fail(`messages.${i}.content`, `must hold a tool_result for each tool_use of the previous message (unanswered: ${unanswered.map(String).join(', ').slice(0, 200)})`);
    pending = [];
  });
}
