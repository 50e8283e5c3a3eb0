import { GatewayError } from '../core/errors.js';
import type { ChatMessage, ChatRequest } from '../core/types.js';
import type { ResolvedGroup } from '../routing/router.js';

/** Routing hints a client may put in the body (`"switchyard": {"deployment": "...", "task": "..."}`). */
export interface BodyHints {
  deployment: string | undefined;
  task: string | undefined;
}

const NONE: BodyHints = Object.freeze({ deployment: undefined, task: undefined });

/** Reads and removes the `switchyard` body field, so it never reaches an upstream. */
export function takeBodyHints(body: unknown): BodyHints {
  if (typeof body !== 'object' || body === null || !('switchyard' in body)) return NONE;
  const record = body as Record<string, unknown>;
  const hints = record.switchyard;
  delete record.switchyard;
  if (typeof hints !== 'object' || hints === null) throw badHint('switchyard', "'switchyard' must be an object.");
  const { deployment, task } = hints as Record<string, unknown>;
  if (deployment !== undefined && typeof deployment !== 'string') throw badHint('switchyard.deployment', "'switchyard.deployment' must be a string.");
  if (task !== undefined && typeof task !== 'string') throw badHint('switchyard.task', "'switchyard.task' must be a string.");
  return { deployment, task };
}

function badHint(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}

/**
 * The group's standard system prompt (first, before the client's own) and default parameters (only
 * where the client set none), so every deployment of the group gets the very same request. Returns the
 * request itself when the group has no such policy.
 */
export function applyGroupPolicy(request: ChatRequest, group: ResolvedGroup | undefined): ChatRequest {
  if (!group) return request;
  const { system_prompt: systemPrompt, defaults } = group.config;
  const keys = Object.keys(defaults) as Array<keyof typeof defaults>;
  if (systemPrompt === undefined && keys.length === 0) return request;
  const out: ChatRequest = { ...request };
  if (systemPrompt !== undefined) {
    const standard: ChatMessage = { role: 'system', content: systemPrompt };
    out.messages = [standard, ...request.messages];
  }
  for (const k of keys) {
    const v = defaults[k];
    // max_tokens defaults only when neither spelling of the limit was given.
    if (k === 'max_tokens' && out.max_completion_tokens !== undefined) continue;
    if (out[k] === undefined && v !== undefined) out[k] = v;
  }
  return out;
}
