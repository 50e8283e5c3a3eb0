import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { embedText } from '../answer.js';
import { applyPreFault, sendJson, startSim, type SimServer } from '../server.js';
import { readEmbeddingInputs, readJsonBody } from '../openai/wire.js';
import { azureChat, type SimDeployment } from './chat.js';
import { apiVersionNotSupported, deploymentNotFound, faultError, operationNotSupported, resourceNotFound, unauthorizedKey, unauthorizedToken, type WireError } from './wire.js';

export type { SimDeployment } from './chat.js';

export interface AzureSimOptions {
  name?: string;
  port?: number;
  seed?: number;
  /** The resource key expected in `api-key` (or as `Authorization: Bearer` on the v1 API). */
  apiKey?: string;
  /** Verifies an Entra ID bearer token; without it (and without apiKey) any credential is accepted. */
  acceptToken?: (token: string) => boolean;
  deployments?: SimDeployment[];
  /** Reported in `x-ms-region`. */
  region?: string;
  /** Per-minute quota the x-ratelimit-remaining-* headers count down from (not enforced). */
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

type Route =
  | { style: 'deployments'; op: 'chat' | 'embeddings'; deployment: string }
  | { style: 'v1'; op: 'chat' | 'embeddings' }
  | { style: 'deployments' | 'v1'; op: 'models' };

function route(method: string | undefined, path: string): Route | undefined {
  if (method === 'GET' && path === '/openai/models') return { style: 'deployments', op: 'models' };
  if (method === 'GET' && path === '/openai/v1/models') return { style: 'v1', op: 'models' };
  if (method !== 'POST') return undefined;
  if (path === '/openai/v1/chat/completions') return { style: 'v1', op: 'chat' };
  if (path === '/openai/v1/embeddings') return { style: 'v1', op: 'embeddings' };
  const m = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(path);
  if (!m) return undefined;
  return { style: 'deployments', op: m[2] === 'embeddings' ? 'embeddings' : 'chat', deployment: decodeURIComponent(m[1] as string) };
}

function sendWire(res: ServerResponse, err: WireError): void {
  const text = JSON.stringify(err.body);
  res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...err.headers });
  res.end(text);
}

/** Azure's check: an `api-key`, or an Entra bearer (or, on the v1 API, the key as a bearer). */
function authorize(req: IncomingMessage, style: 'deployments' | 'v1', options: AzureSimOptions): WireError | undefined {
  const key = req.headers['api-key'];
  const authz = req.headers.authorization;
  if (typeof key === 'string') {
    return options.apiKey === undefined || key === options.apiKey ? undefined : unauthorizedKey();
  }
  if (typeof authz === 'string' && authz.startsWith('Bearer ')) {
    const token = authz.slice('Bearer '.length);
    if (style === 'v1' && options.apiKey !== undefined && token === options.apiKey) return undefined;
    if (options.acceptToken) return options.acceptToken(token) ? undefined : unauthorizedToken();
    return options.apiKey === undefined ? undefined : unauthorizedToken();
  }
  return unauthorizedKey();
}

/** Counts requests and tokens per minute for the x-ratelimit-remaining-* headers (not enforced). */
function quotaMeter(options: AzureSimOptions): (tokens: number) => Record<string, string> {
  const rpm = options.requestsPerMinute ?? 1_000;
  const tpm = options.tokensPerMinute ?? 150_000;
  let windowStart = 0;
  let usedRequests = 0;
  let usedTokens = 0;
  return (tokens) => {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== windowStart) {
      windowStart = minute;
      usedRequests = 0;
      usedTokens = 0;
    }
    usedRequests += 1;
    usedTokens += tokens;
    return {
      'apim-request-id': randomUUID(),
      'x-ms-region': options.region ?? 'Sweden Central',
      'x-ratelimit-remaining-requests': String(Math.max(0, rpm - usedRequests)),
      'x-ratelimit-remaining-tokens': String(Math.max(0, tpm - usedTokens)),
    };
  };
}

/** What Azure refuses before reading the body: a deployment URL without a valid api-version, a bad credential. */
function refusal(req: IncomingMessage, r: Route, apiVersion: string | null, options: AzureSimOptions): WireError | undefined {
  if (r.style === 'deployments') {
    if (apiVersion === null) return resourceNotFound();
    if (!API_VERSION.test(apiVersion)) return apiVersionNotSupported();
  }
  return authorize(req, r.style, options);
}

function azureEmbeddings(res: ServerResponse, json: Record<string, unknown>, deployment: SimDeployment, quotaHeaders: (tokens: number) => Record<string, string>): void {
  const inputs = readEmbeddingInputs(res, json.input);
  if (!inputs) return;
  const dims = typeof json.dimensions === 'number' ? json.dimensions : 8;
  const tokens = inputs.reduce((n, t) => n + t.tokens, 0);
  const base64 = json.encoding_format === 'base64';
  for (const [k, v] of Object.entries(quotaHeaders(tokens))) res.setHeader(k, v);
  sendJson(res, 200, {
    object: 'list',
    data: inputs.map((t, index) => {
      const vector = embedText(t.key, dims);
      return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
    }),
    model: deployment.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

/**
 * An Azure OpenAI resource: deployment-scoped URLs (api-version required) and the v1 API, api-key or
 * Entra bearer auth, content-filter annotations and faults, and Azure's 429s. Fault rules match on the
 * deployment name; `error: content_filter_output` (no status) cuts an answer with finish_reason
 * content_filter, `status: 400, error: content_filter` blocks the prompt.
 */
export function startAzureSim(options: AzureSimOptions = {}): Promise<SimServer> {
  const deployments = options.deployments ?? [
    { name: 'gpt-4o', model: 'gpt-4o-2024-08-06' },
    { name: 'text-embedding-3-small', model: 'text-embedding-3-small' },
  ];
  const quotaHeaders = quotaMeter(options);
  return startSim({
    name: options.name ?? 'azure-sim',
    port: options.port,
    seed: options.seed,
    // Azure answers a path it does not serve as it answers a deployment URL without api-version.
    notFound: ({ res }) => sendWire(res, resourceNotFound()),
    async handler({ req, res, url, body }, tools) {
      const r = route(req.method, url.pathname);
      if (!r) return false;
      const apiVersion = url.searchParams.get('api-version');
      const refused = refusal(req, r, apiVersion, options);
      if (refused) {
        sendWire(res, refused);
        return true;
      }
      if (r.op === 'models') {
        tools.count(`GET ${r.style === 'v1' ? '/openai/v1' : '/openai'}/models`);
        const data = deployments.map((d) => ({ id: d.model, object: 'model', created: 1_700_000_000, owned_by: 'system' }));
        sendJson(res, 200, { object: 'list', data });
        return true;
      }
      const json = readJsonBody(res, body);
      if (!json) return true;
      const depName = r.style === 'v1' ? String(json.model ?? '') : r.deployment;
      const deployment = deployments.find((d) => d.name === depName);
      tools.count(`POST ${r.style === 'v1' ? '/openai/v1' : '/openai/deployments/{deployment}'}/${r.op === 'chat' ? 'chat/completions' : 'embeddings'}`);
      if (!deployment) {
        sendWire(res, deploymentNotFound());
        return true;
      }
      const fault = tools.faults.next(deployment.name);
      if (!(await applyPreFault(fault, res))) return true;
      // A deployment serves its model's operations only: an embedding model embeds, any other chats.
      const embeds = /embed/i.test(deployment.model);
      if (fault.status) sendWire(res, faultError(fault, r.op === 'chat' ? 'ChatCompletions_Create' : 'Embeddings_Create', apiVersion ?? 'v1'));
      else if (embeds !== (r.op === 'embeddings')) sendWire(res, operationNotSupported(embeds ? 'chatCompletion' : 'embeddings', deployment.model));
      else if (r.op === 'chat') await azureChat(res, json, deployment, fault, quotaHeaders);
      else azureEmbeddings(res, json, deployment, quotaHeaders);
      return true;
    },
  });
}
