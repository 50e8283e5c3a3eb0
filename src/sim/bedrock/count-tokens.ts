import type { ServerResponse } from 'node:http';
import { scriptAnswer } from '../answer.js';
import { sendJson } from '../server.js';
import { conversationProblem } from './conversation.js';
import { converseScriptInput } from './converse.js';
import { sendAwsError } from './errors.js';

type Json = Record<string, unknown>;

/** CountTokens takes bare Claude foundation-model ids: inference profiles (`us.`...) and other families are refused. */
const COUNTABLE = /^anthropic\.claude-/;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * POST /model/{id}/count-tokens: the input tokens of a Converse request (`{input: {converse}}`), as the
 * scripted model bills them in Converse's usage (cache reads included), answered as `{inputTokens}`.
 * The simulator counts Converse input only, not InvokeModel bodies.
 */
export function countTokensReply(res: ServerResponse, model: string, raw: Buffer): void {
  if (!COUNTABLE.test(model)) return sendAwsError(res, 'ValidationException', "The provided model doesn't support counting tokens.");
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return sendAwsError(res, 'ValidationException', 'Malformed input request, please reformat your input and try again.');
  }
  const converse = isObject(body) && isObject(body.input) ? body.input.converse : undefined;
  if (!isObject(converse)) return sendAwsError(res, 'ValidationException', 'input.converse is required: this simulator counts Converse input only.');
  const problem = conversationProblem(converse.messages, model);
  if (problem !== undefined) return sendAwsError(res, 'ValidationException', problem);
  sendJson(res, 200, { inputTokens: scriptAnswer(converseScriptInput(model, converse)).promptTokens });
}
