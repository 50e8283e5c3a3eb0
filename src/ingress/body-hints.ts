import { GatewayError } from '../core/errors.js';

/** Routing hints a client may put in the body (`"switchyard": {"deployment": "...", "task": "..."}`). */
export interface BodyHints {
  deployment: string | undefined;
  task: string | undefined;
}

export const NO_HINTS: BodyHints = Object.freeze({ deployment: undefined, task: undefined });

/**
 * Reads and removes the `switchyard` body field, so it never reaches an upstream. Every front door
 * calls it before decoding; the headers `x-switchyard-deployment` and `x-switchyard-task` win over it.
 */
export function takeBodyHints(body: unknown): BodyHints {
  if (typeof body !== 'object' || body === null || !('switchyard' in body)) return NO_HINTS;
  const record = body as Record<string, unknown>;
  const hints = record.switchyard;
  delete record.switchyard;
  if (typeof hints !== 'object' || hints === null || Array.isArray(hints)) throw badHint('switchyard', "'switchyard' must be an object.");
  for (const key in hints) {
    // A misspelt hint silently ignored would route the request somewhere the client did not ask for.
    if (key !== 'deployment' && key !== 'task') throw badHint(`switchyard.${key.slice(0, 64)}`, `Unknown field '${key.slice(0, 64)}' in 'switchyard': it takes 'deployment' and 'task'.`);
  }
  const { deployment, task } = hints as Record<string, unknown>;
  if (deployment !== undefined && typeof deployment !== 'string') throw badHint('switchyard.deployment', "'switchyard.deployment' must be a string.");
  if (task !== undefined && typeof task !== 'string') throw badHint('switchyard.task', "'switchyard.task' must be a string.");
  return { deployment, task };
}

function badHint(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}
