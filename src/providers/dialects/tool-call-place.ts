import type { Message } from '../../core/types.js';

/**
 * Where the tool call `id` sits in the canonical `messages` (`messages[i].content[j]`), to name it in a
 * refusal; 'messages' when none has that id. Found by a scan when the refusal happens, so encoding a
 * request that needs no refusal keeps no map of its calls.
 */
export function toolCallPlace(messages: readonly Message[], id: string): string {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    if (m.role !== 'assistant') continue;
    const j = m.content.findIndex((p) => p.type === 'tool-call' && p.id === id);
    if (j >= 0) return `messages[${i}].content[${j}]`;
  }
  return 'messages';
}
