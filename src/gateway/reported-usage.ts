import type { PromptCount, StreamPart, Usage } from '../core/types.js';
import { makeUsage } from '../core/types.js';

/**
 * What the upstream's own reports before a break bill, `completion` being the text's count: the prompt
 * from its counts so far when they name one (Gemini's), else the start's count (Anthropic's
 * message_start), cached reads and writes included, since it bills exactly that; the completion the
 * text's count, or the upstream's so far if larger. Undefined when the upstream reported no prompt.
 */
export function reportedUsage(soFar: Usage | undefined, head: readonly StreamPart[], completion: number): Usage | undefined {
  const prompt: PromptCount | undefined = soFar !== undefined && soFar.prompt > 0 ? soFar : startPrompt(head);
  if (prompt === undefined) return undefined;
  const { cachedRead, cachedWrite, cachedWrite1h } = prompt;
  return makeUsage({ prompt: prompt.prompt, cachedRead, cachedWrite, cachedWrite1h, completion: Math.max(completion, soFar?.completion ?? 0), reasoning: soFar?.reasoning ?? 0 });
}

/**
 * What an attempt whose stream failed before its first content is billed by the upstream's own
 * reports in `head` (the parts read before the failure), as a relay broken later is; undefined when it
 * reported none (an OpenAI-compatible or Bedrock upstream counts only at the end).
 */
export function reportedBeforeContent(head: readonly StreamPart[]): Usage | undefined {
  let soFar: Usage | undefined;
  for (const p of head) if (p.type === 'usage') soFar = p.usage;
  return reportedUsage(soFar, head, 0);
}

/** The prompt count the upstream gave as its stream started (the start part comes before any content, so it is in the head). */
function startPrompt(head: readonly StreamPart[]): PromptCount | undefined {
  for (const p of head) if (p.type === 'start') return p.prompt;
  return undefined;
}
