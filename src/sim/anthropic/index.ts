import type { IncomingMessage } from 'node:http';
import { sendJson, startSim, type SimServer } from '../server.js';
import { accountRefusalMessage, sendAnthropicError } from './errors.js';
import { answerMessages } from './messages.js';
import { countInputTokens, PromptCache } from './script.js';
import { effortProblem, prefillProblem, removedSamplingProblem, thinkingFormProblem, validateMessagesBody } from './validate.js';

export { answerMessages, type MessagesContext } from './messages.js';
export { validateMessagesBody, effortProblem, prefillProblem, removedSamplingProblem, thinkingFormProblem, PREFILL_REFUSED, BUDGET_REFUSED, SAMPLING_REJECTED_FROM } from './validate.js';
export { anthropicScriptInput, PromptCache } from './script.js';
export { accountRefusalMessage, sendAnthropicError, sendFaultError, type AccountRefusal } from './errors.js';

export interface AnthropicSimOptions {
  name?: string;
  port?: number;
  seed?: number;
  /** When set, requests must carry it as `x-api-key` or `Authorization: Bearer`. */
  apiKey?: string;
  models?: string[];
}

/** How the last Messages request authenticated and which version it named, for adapter tests. */
export interface AnthropicSimObservation {
  auth: 'x-api-key' | 'bearer' | 'none';
  version: string | undefined;
  body: Record<string, unknown>;
}

export interface AnthropicSimServer extends SimServer {
  readonly observed: { last?: AnthropicSimObservation };
}

const DEFAULT_MODELS = ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7'];

/** The paths the simulator serves, as the API does: under `/v1`, each with its one method. */
function servesRoute(method: string | undefined, path: string): boolean {
  if (method === 'GET') return path === '/v1/models' || /^\/v1\/models\/[^/]+$/.test(path);
  return method === 'POST' && (path === '/v1/messages' || path === '/v1/messages/count_tokens');
}

function authOf(req: IncomingMessage, apiKey: string | undefined): { mode: AnthropicSimObservation['auth']; ok: boolean } {
  const key = req.headers['x-api-key'];
  const bearer = req.headers.authorization;
  const mode = typeof key === 'string' ? 'x-api-key' : typeof bearer === 'string' && bearer.startsWith('Bearer ') ? 'bearer' : 'none';
  if (apiKey === undefined) return { mode, ok: true };
  const given = mode === 'x-api-key' ? key : mode === 'bearer' ? bearer?.slice('Bearer '.length) : undefined;
  return { mode, ok: given === apiKey };
}

/**
 * The Anthropic Messages API: POST /v1/messages (JSON and SSE, prompt-cache usage, in-stream error
 * events, 529 overloaded and an account's refusals via faults) and GET /v1/models. It enforces what the
 * real API enforces and an adapter can get wrong: the anthropic-version header, max_tokens, tool_use/tool_result pairing,
 * that 2026-10-21 and later reject temperature/top_p/top_k, that Claude 4.6 and later refuse a
 * conversation ending on the assistant (a prefill), and the prompt-caching rules (`cache-rules.ts`,
 * automatic caching's top-level cache_control included).
 */
export async function startAnthropicSim(options: AnthropicSimOptions = {}): Promise<AnthropicSimServer> {
  const models = options.models ?? DEFAULT_MODELS;
  const cache = new PromptCache();
  const observed: { last?: AnthropicSimObservation } = {};
  const sim = await startSim({
    name: options.name ?? 'anthropic-sim',
    port: options.port,
    seed: options.seed,
    // api.anthropic.com's answer to a path it does not serve (a base URL ending in /v1 doubles it), before
    // any credential is read: 404 not_found_error "Not Found" (danielmiessler/Fabric#1140).
    notFound: ({ res }) => sendAnthropicError(res, 404, 'not_found_error', 'Not Found'),
    async handler({ req, res, url, body }, tools) {
      if (!servesRoute(req.method, url.pathname)) return false;
      const auth = authOf(req, options.apiKey);
      if (!auth.ok) {
        sendAnthropicError(res, 401, 'authentication_error', auth.mode === 'none' ? 'x-api-key header is required' : 'invalid x-api-key');
        return true;
      }
      const version = req.headers['anthropic-version'];
      if (typeof version !== 'string' || version === '') {
        sendAnthropicError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
        return true;
      }
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        tools.count('GET /v1/models');
        const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get('limit') ?? 20) || 20));
        const after = url.searchParams.get('after_id');
        const from = after === null ? 0 : models.indexOf(after) + 1;
        const page = models.slice(from, from + limit).map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' }));
        sendJson(res, 200, { data: page, has_more: from + limit < models.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null });
        return true;
      }
      if (req.method === 'GET') {
        tools.count('GET /v1/models/{id}');
        const id = decodeURIComponent(url.pathname.slice('/v1/models/'.length));
        if (!models.includes(id)) sendAnthropicError(res, 404, 'not_found_error', `model: ${id}`);
        else sendJson(res, 200, { type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' });
        return true;
      }
      const counting = url.pathname === '/v1/messages/count_tokens';
      tools.count(`POST ${url.pathname}`);
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        sendAnthropicError(res, 400, 'invalid_request_error', 'There was an issue with the JSON body of your request.');
        return true;
      }
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        sendAnthropicError(res, 400, 'invalid_request_error', 'The request body must be a JSON object.');
        return true;
      }
      observed.last = { auth: auth.mode, version, body: json };
      const problem = validateMessagesBody(json, { requireModel: true, version, counting });
      if (problem) {
        sendAnthropicError(res, 400, 'invalid_request_error', problem);
        return true;
      }
      const model = String(json.model);
      if (!models.includes(model)) {
        sendAnthropicError(res, 404, 'not_found_error', `model: ${model}`);
        return true;
      }
      const refused = prefillProblem(json, model) ?? thinkingFormProblem(json.thinking, model) ?? removedSamplingProblem(json, model) ?? effortProblem(json.output_config, model);
      if (refused) {
        sendAnthropicError(res, 400, 'invalid_request_error', refused);
        return true;
      }
      if (counting) {
        sendJson(res, 200, { input_tokens: countInputTokens(json, model) });
        return true;
      }
      const fault = tools.faults.next(model);
      // The account's refusal is Anthropic's alone: Vertex and Bedrock bill through their clouds.
      if (fault.account_refusal) sendAnthropicError(res, 400, 'invalid_request_error', accountRefusalMessage(fault.account_refusal, new Date()));
      else await answerMessages(res, json, fault, { model, cache });
      return true;
    },
  });
  return Object.assign(sim, { observed });
}
