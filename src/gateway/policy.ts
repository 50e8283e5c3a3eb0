import { GatewayError } from '../core/errors.js';
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

const CANONICAL_MESSAGE = /messages\[(\d+)\]/g;

/**
 * An error of an attempt, which names the messages of the request the group's system prompt was put
 * before (`added` of them), named by the client's own message numbers, so each door names the client's
 * place; a refusal of the group's system prompt itself names no client parameter.
 */
export function inClientTerms(err: GatewayError, added: number): GatewayError {
  if (added === 0 || err.param === undefined || !err.param.startsWith('messages[')) return err;
  const index = Number(/^messages\[(\d+)\]/.exec(err.param)?.[1]);
  if (index < added) return new GatewayError({ ...err.toInit(), param: undefined, message: err.message.replaceAll(`messages[${index}]`, "the group's system prompt") });
  const renumber = (text: string): string => text.replace(CANONICAL_MESSAGE, (_, n: string) => `messages[${Number(n) - added}]`);
  return new GatewayError({ ...err.toInit(), param: renumber(err.param), message: renumber(err.message) });
}
