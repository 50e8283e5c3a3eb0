import { GatewayError, upstreamFailure, parseRetryAfter, type ErrorKind } from '../../../core/errors.js';
import { isObject } from '../../../core/json.js';
import { safeParam, scrubUpstreamText } from '../../../core/scrub.js';
import type { EmbeddingRequest } from '../../../core/types.js';
import { embeddingsUnsupported } from '../embedding-texts.js';

type Headers = Record<string, string | string[] | undefined>;

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** vLLM's words for a prompt past `--max-model-len`, with a numeric `code` rather than OpenAI's string. */
const CONTEXT_LENGTH = /maximum context length is \d+ tokens/i;

/**
 * The error object of a reply: `{error: {...}}`, or older vLLM's bare `{object: "error", message, type,
 * param, code: 400}` with no wrapper (vllm-project/vllm#20409).
 */
function errorObject(body: unknown): Record<string, unknown> | undefined {
  if (!isObject(body)) return undefined;
  if (isObject(body.error)) return body.error;
  return body.object === 'error' ? body : undefined;
}

function kindOf(status: number, err: Record<string, unknown> | undefined): ErrorKind {
  const code = err?.code;
  const inner = isObject(err?.innererror) ? err.innererror.code : undefined;
  if (status === 429) return 'rate_limited';
  if (code === 'context_length_exceeded' || code === 'string_above_max_length') return 'context_window_exceeded';
  if (code === 'content_filter' || inner === 'ResponsibleAIPolicyViolation') return 'content_filtered';
  if (status === 400 && typeof err?.message === 'string' && CONTEXT_LENGTH.test(err.message)) return 'context_window_exceeded';
  // 413: too large for this upstream, which a retry cannot change.
  if (status === 400 || status === 413 || status === 422) return 'invalid_request';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 529) return 'overloaded';
  if (status === 502 || status === 503) return 'unavailable';
  if (status >= 500) return 'upstream_error';
  return 'bad_upstream_response';
}

function failure(kind: ErrorKind, err: Record<string, unknown> | undefined, provider: string, upstreamStatus: number | undefined, retryAfterMs?: number): GatewayError {
  return upstreamFailure({
    kind,
    provider,
    upstreamText: scrubUpstreamText(typeof err?.message === 'string' ? err.message : undefined),
    param: safeParam(err?.param),
    upstreamStatus,
    retryAfterMs,
    // A deployment that lacks the model says nothing about the others.
    fallbackable: kind === 'not_found' ? true : undefined,
    // An exhausted quota does not refill by waiting a few seconds.
    retryable: err?.code === 'insufficient_quota' ? false : undefined,
  });
}

/**
 * An OpenAI-style error reply (OpenAI, Azure OpenAI, vLLM, Ollama) to the taxonomy. The client gets
 * our message, the code of the kind (the same whichever cloud failed) and the `param` the upstream named;
 * the upstream's text, scrubbed, is kept for the log.
 */
export function mapOpenAIError(status: number, headers: Headers, body: unknown, provider: string): GatewayError {
  const err = errorObject(body);
  // Azure may send only `x-ms-retry-after-ms`, which its own SDKs read beside the other two (azure-core's get_retry_after).
  const retryAfterMs = parseRetryAfter(first(headers, 'retry-after'), first(headers, 'retry-after-ms') ?? first(headers, 'x-ms-retry-after-ms'));
  return failure(kindOf(status, err), err, provider, status, retryAfterMs);
}

/** One server's refusal to embed: the statuses it sends it under, its words, and Azure's code beside them. */
interface EmbeddingRefusal {
  statuses: readonly number[];
  words: RegExp;
  code?: string;
}

/**
 * An upstream's refusal to embed with the model it serves, as each API sends it (the status and its own
 * words, nothing looser: OpenAI's 403 is otherwise a credentials problem):
 * - OpenAI, a chat model: 403 "You are not allowed to generate embeddings from this model"
 *   (infiniflow/ragflow#1835, langchain-ai/langchain#9270);
 * - Azure OpenAI, a deployment of a chat model: 400 `OperationNotSupported`, "The embeddings operation
 *   does not work with the specified model, …" (microsoft/graphrag#1557);
 * - vLLM serving a generative model: "The model does not support Embeddings API", a 400
 *   (`create_error_response`), a 501 from the versions that raise NotImplementedError for it;
 * - Ollama before 0.30, a model without pooling (a chat model): its runner's "this model does not
 *   support embeddings", which /v1/embeddings answered with a 500 up to 0.13.2 (chunkhound/chunkhound#41,
 *   Ollama 0.12.3) and the runner's own 501 from 0.13.3 (ollama/ollama#12839, server/routes.go);
 * - Ollama from 0.30, whose llama-server engine (ollama/ollama#16031) starts a chat model's server
 *   without embeddings, and llama.cpp's llama-server itself: 501 "This server does not support
 *   embeddings. Start it with `--embeddings`" (llama.cpp's handle_embeddings_impl; Ollama passes it on).
 */
const EMBEDDING_REFUSALS: readonly EmbeddingRefusal[] = [
  { statuses: [403], words: /^You are not allowed to generate embeddings from this model\b/ },
  { statuses: [400], code: 'OperationNotSupported', words: /^The embeddings operation does not work with the specified model\b/ },
  { statuses: [400, 501], words: /^The model does not support Embeddings API\b/ },
  { statuses: [500, 501], words: /^this model does not support embeddings\b/ },
  { statuses: [501], words: /^This server does not support embeddings\. Start it with `--embeddings`/ },
];

/** The upstream's words when its reply is one of EMBEDDING_REFUSALS. */
function refusesEmbeddings(status: number, err: Record<string, unknown> | undefined): string | undefined {
  const message = err?.message;
  if (typeof message !== 'string') return undefined;
  const refused = EMBEDDING_REFUSALS.some((r) => r.statuses.includes(status) && (r.code === undefined || err?.code === r.code) && r.words.test(message));
  return refused ? message : undefined;
}

/**
 * `mapOpenAIError` for an embeddings call: an upstream's refusal to embed with its model (a chat model,
 * which its name need not tell) becomes the capability refusal (`embeddingsUnsupported`, `why` saying
 * what the deployment is), so a group tries its next deployment and, when none embeds, the client reads
 * why in the gateway's words. The request did reach the upstream (not `unsent`: recorded, its quota
 * spent), though a refusal bills nothing; the upstream's words stay for the log.
 */
export function mapOpenAIEmbeddingError(request: EmbeddingRequest, why: string): (status: number, headers: Headers, body: unknown, provider: string) => GatewayError {
  return (status, headers, body, provider) => {
    const said = refusesEmbeddings(status, errorObject(body));
    if (said === undefined) return mapOpenAIError(status, headers, body, provider);
    const refusal = embeddingsUnsupported(request, why, provider);
    return new GatewayError({ ...refusal.toInit(), unsent: false, upstreamStatus: status, upstreamText: scrubUpstreamText(said) });
  };
}

/** The HTTP status an error inside a 200 stands for: vLLM's numeric `code`, Azure's `"429"`, or OpenAI's code and type. */
function impliedStatus(err: Record<string, unknown>): number | undefined {
  const { code, type } = err;
  const n = typeof code === 'number' ? code : typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : undefined;
  if (n !== undefined && n >= 400 && n <= 599) return n;
  if (code === 'rate_limit_exceeded' || code === 'insufficient_quota') return 429;
  if (type === 'invalid_request_error' || code === 'context_length_exceeded' || code === 'content_filter') return 400;
  return undefined;
}

/**
 * An `{"error": {...}}` inside a 200: a stream's chunk, or (with `upstreamStatus`) a whole answer without
 * choices. Mapped as the HTTP error its code or type names (a refused request is not retried where it
 * failed); a server error otherwise.
 */
export function mapOpenAIStreamError(err: Record<string, unknown>, provider: string, upstreamStatus?: number): GatewayError {
  const status = impliedStatus(err);
  return failure(status === undefined ? 'upstream_error' : kindOf(status, err), err, provider, upstreamStatus);
}
