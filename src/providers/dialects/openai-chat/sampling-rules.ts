import type { ChatRequest, Warning } from '../../../core/types.js';

/** Which of the settings some OpenAI models refuse a model takes in one case (with or without reasoning). */
export interface Taken {
  readonly temperature: boolean;
  readonly topP: boolean;
  readonly stop: boolean;
  /** presence_penalty and frequency_penalty. */
  readonly penalties: boolean;
}

/**
 * What one family of OpenAI models takes of the settings reasoning models refuse: `plain` when the
 * request sends no `reasoning_effort` (the model reasons at its default effort, or, from gpt-5.1 on, not
 * at all), `reasoning` when it does.
 */
export interface SamplingRule {
  /** The family as warnings name it. */
  readonly family: string;
  readonly plain: Taken;
  readonly reasoning: Taken;
}

const ALL: Taken = Object.freeze({ temperature: true, topP: true, stop: true, penalties: true });
const NO_SAMPLING: Taken = Object.freeze({ temperature: false, topP: false, stop: true, penalties: false });
const NO_SAMPLING_NO_STOP: Taken = Object.freeze({ temperature: false, topP: false, stop: false, penalties: false });
const SAMPLING_NO_STOP: Taken = Object.freeze({ temperature: true, topP: true, stop: false, penalties: false });

/** Models outside the table: everything is sent as the client gave it. */
export const ANY_SAMPLING: SamplingRule = Object.freeze({ family: 'any', plain: ALL, reasoning: ALL });

/**
 * OpenAI's reasoning models refuse these settings with a 400 ("Unsupported parameter: 'temperature'
 * ... Only the default (1) value is supported", "'stop' is not supported with this model"), so they are
 * dropped with a Warning instead. Matched on the model name after any `org/` prefix, first row first:
 * - gpt-5-chat*: a chat model, takes everything.
 * - the versioned chat and pro models (gpt-5.1-chat to gpt-5.3-chat, gpt-5.2-pro, gpt-5.4-pro,
 *   gpt-5.5-pro): they always reason (their efforts are 'medium' alone or 'medium' and up, never none),
 *   so neither sampling, stop nor penalties, with or without a reasoning_effort.
 * - gpt-5.1 and later: temperature and top_p only with reasoning effort none, their default (OpenAI's
 *   "GPT-5.1 parameter compatibility"); stop and the penalties never (as gpt-5).
 * - gpt-5, -mini, -nano, -codex, -pro: neither sampling, stop nor penalties.
 * - o3 (not o3-mini), o4-mini, and the retired o1-mini and o1-preview: no stop either (the API
 *   reference: "Not supported with latest reasoning models o3 and o4-mini").
 * - the other o-series (o1, o3-mini): no sampling or penalties, stop taken.
 * OpenAI's only other reasoning control, `logprobs`, is not a canonical setting.
 */
const RULES: ReadonlyArray<readonly [RegExp, SamplingRule]> = [
  [/^gpt-5-chat(?:[-.:_]|$)/i, ANY_SAMPLING],
  [/^gpt-5\.(?:[1-3]-chat|[245]-pro)(?:[-:_]|$)/i, makeRule('gpt-5.x chat and pro', NO_SAMPLING_NO_STOP, NO_SAMPLING_NO_STOP)],
  [/^gpt-5\.\d/i, makeRule('gpt-5.1 and later', SAMPLING_NO_STOP, NO_SAMPLING_NO_STOP)],
  [/^gpt-5(?:[-:_]|$)/i, makeRule('gpt-5', NO_SAMPLING_NO_STOP, NO_SAMPLING_NO_STOP)],
  [/^(?:o3(?!-mini)|o4-mini|o1-mini|o1-preview)(?:[-.:_]|$)/i, makeRule('o3 and o4-mini', NO_SAMPLING_NO_STOP, NO_SAMPLING_NO_STOP)],
  [/^o[1-9](?:[-.:_]|$)/i, makeRule('o-series', NO_SAMPLING, NO_SAMPLING)],
];

function makeRule(family: string, plain: Taken, reasoning: Taken): SamplingRule {
  return Object.freeze({ family, plain, reasoning });
}

/** The rule for a deployment's model (decided once per deployment: the Azure deployment name says nothing). */
export function samplingRuleFor(model: string): SamplingRule {
  const name = model.slice(model.lastIndexOf('/') + 1);
  for (const [pattern, found] of RULES) if (pattern.test(name)) return found;
  return ANY_SAMPLING;
}

/** What the model takes for this request: `reasons` when the encoder sends a reasoning_effort. */
export function takenBy(rule: SamplingRule, reasons: boolean): Taken {
  return reasons ? rule.reasoning : rule.plain;
}

/**
 * The Warnings for what `taken` leaves out of `request`, added to `warnings`. A value equal to the
 * upstream's default (temperature and top_p 1, penalties 0) changes nothing by staying home: no
 * Warning then.
 */
export function samplingWarnings(request: ChatRequest, rule: SamplingRule, reasons: boolean, warnings: Warning[] | undefined): Warning[] | undefined {
  const taken = takenBy(rule, reasons);
  if (taken === ALL) return warnings;
  // A family that samples when it does not reason (gpt-5.1+) refuses only because reasoning was asked for.
  const why = reasons && rule.plain.temperature ? ' while reasoning (only with reasoning effort none)' : '';
  const drop = (setting: string, message: string) => (warnings ??= []).push({ type: 'unsupported-setting', setting, message });
  if (!taken.temperature && request.temperature !== undefined && request.temperature !== 1) {
    drop('temperature', `OpenAI ${rule.family} models take no temperature but the default (1)${why}; it was not sent.`);
  }
  if (!taken.topP && request.topP !== undefined && request.topP !== 1) drop('topP', `OpenAI ${rule.family} models take no top_p but the default (1)${why}; it was not sent.`);
  if (!taken.stop && request.stopSequences !== undefined && request.stopSequences.length > 0) {
    drop('stopSequences', `OpenAI ${rule.family} models take no stop sequences; they were not sent, so the answer may run past them.`);
  }
  if (!taken.penalties && request.presencePenalty !== undefined && request.presencePenalty !== 0) drop('presencePenalty', `OpenAI ${rule.family} models take no presence_penalty; it was not sent.`);
  if (!taken.penalties && request.frequencyPenalty !== undefined && request.frequencyPenalty !== 0) drop('frequencyPenalty', `OpenAI ${rule.family} models take no frequency_penalty; it was not sent.`);
  return warnings;
}
