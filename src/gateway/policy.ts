import type { ChatRequest, SystemMessage } from '../core/types.js';
import type { ResolvedGroup } from '../routing/router.js';

type GroupDefaults = ResolvedGroup['config']['defaults'];
type DefaultedField = 'temperature' | 'topP' | 'maxOutputTokens' | 'presencePenalty' | 'frequencyPenalty' | 'seed';

/** The canonical field each group default (`defaults`, named as in OpenAI's API in the config) sets. */
const DEFAULT_FIELDS: Readonly<Record<keyof GroupDefaults, DefaultedField>> = {
  temperature: 'temperature',
  top_p: 'topP',
  max_tokens: 'maxOutputTokens',
  presence_penalty: 'presencePenalty',
  frequency_penalty: 'frequencyPenalty',
  seed: 'seed',
};

/**
 * The group's standard system prompt (first, before the client's own) and default parameters (only
 * where the client set none), so every deployment of the group gets the very same request. Returns the
 * request itself when the group has no such policy.
 */
export function applyGroupPolicy(request: ChatRequest, group: ResolvedGroup | undefined): ChatRequest {
  if (!group) return request;
  const { system_prompt: systemPrompt, defaults } = group.config;
  const keys = Object.keys(defaults) as Array<keyof GroupDefaults>;
  if (systemPrompt === undefined && keys.length === 0) return request;
  const out: ChatRequest = { ...request };
  if (systemPrompt !== undefined) {
    const standard: SystemMessage = { role: 'system', content: [{ type: 'text', text: systemPrompt }] };
    out.messages = [standard, ...request.messages];
  }
  for (const k of keys) {
    const v = defaults[k];
    const field = DEFAULT_FIELDS[k];
    if (out[field] === undefined && v !== undefined) out[field] = v;
  }
  return out;
}
