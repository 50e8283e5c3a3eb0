import { bad, checkMembers, oneOf } from './members.js';

/*
 * The members of the Responses request's option objects (`reasoning`, `text`) checked as the API checks
 * them (members.ts): a member it does not know is its `unknown_parameter`, a value outside an
 * enumeration its `invalid_value`. The door echoes these objects in the Response, so what passes here
 * is what the client reads back; without the check a typo or a wrong value was taken, dropped and
 * repeated as if it had applied.
 */

const SUMMARIES = ['concise', 'detailed', 'auto'] as const;
const CONTEXTS = ['auto', 'current_turn', 'all_turns'] as const;
const VERBOSITIES = ['low', 'medium', 'high'] as const;

/** `reasoning`'s members other than `effort`: checked, none forwarded; the summary asked for, to echo. */
export function checkReasoningOptions(reasoning: Record<string, unknown>): string | undefined {
  checkMembers(reasoning, 'reasoning');
  oneOf(reasoning.generate_summary, 'reasoning.generate_summary', SUMMARIES);
  oneOf(reasoning.context, 'reasoning.context', CONTEXTS);
  const mode = reasoning.mode;
  if (mode !== undefined && mode !== null && typeof mode !== 'string') throw bad('reasoning.mode', "'reasoning.mode' must be a string.");
  return oneOf(reasoning.summary, 'reasoning.summary', SUMMARIES);
}

/** `text`'s members other than `format`: `verbosity`, checked and not forwarded (no canonical home). */
export function checkTextOptions(text: Record<string, unknown>): void {
  checkMembers(text, 'text');
  oneOf(text.verbosity, 'text.verbosity', VERBOSITIES);
}
