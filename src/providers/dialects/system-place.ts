import type { Message, Warning } from '../../core/types.js';

/**
 * The warning for system messages after the conversation began (OpenAI's chat API takes `system` and
 * `developer` anywhere), which an upstream with a system prompt but no system turn (Claude, Gemini,
 * Bedrock Converse) gets joined to that prompt: the model reads them as standing before every turn,
 * not where the client put them. System messages all at the start are where the upstream puts them, and
 * not warned of.
 */
export function lateSystemWarning(messages: readonly Message[], upstream: string): Warning | undefined {
  const late: string[] = [];
  let conversed = false;
  messages.forEach((m, i) => {
    if (m.role !== 'system') conversed = true;
    else if (conversed) late.push(`messages[${i}]`);
  });
  if (late.length === 0) return undefined;
  const places = late.length > 5 ? `${late.slice(0, 5).join(', ')} and ${late.length - 5} more` : late.join(', ');
  const what = late.length === 1 ? `System message at ${places} was` : `System messages at ${places} were`;
  return { type: 'other', setting: 'messages', message: `${what} moved to the system prompt: ${upstream} takes system text only before the conversation.` };
}
