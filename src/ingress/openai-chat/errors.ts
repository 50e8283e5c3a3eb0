import type { ErrorKind, GatewayError } from '../../core/errors.js';

/**
 * The `type` of OpenAI's error body for each kind of the taxonomy. A missing or wrong key is OpenAI's
 * `invalid_request_error` with code `invalid_api_key` (what api.openai.com sends with its 401, "Incorrect
 * API key provided"; it has no `authentication_error` type, which is Anthropic's). The rest keep what they
 * were where OpenAI's own type is not known for certain: its 429s name the limit (`requests`, `tokens`),
 * which a kind does not tell, and it documents no type for a gateway's refusals.
 */
const OPENAI_ERROR_TYPES: Readonly<Record<ErrorKind, string>> = {
  rate_limited: 'rate_limit_error',
  overloaded: 'server_error',
  unavailable: 'server_error',
  upstream_error: 'server_error',
  timeout: 'timeout_error',
  network: 'server_error',
  bad_upstream_response: 'server_error',
  context_window_exceeded: 'invalid_request_error',
  content_filtered: 'invalid_request_error',
  invalid_request: 'invalid_request_error',
  authentication: 'server_error',
  permission: 'server_error',
  unauthenticated: 'invalid_request_error',
  forbidden: 'permission_error',
  not_found: 'invalid_request_error',
  budget_exceeded: 'insufficient_quota',
  residency_violation: 'permission_error',
  no_deployment_available: 'server_error',
  cancelled: 'request_cancelled',
  internal: 'server_error',
};

/**
 * OpenAI's `code` for each kind, for errors that carry no code of their own: the code OpenAI sends in
 * that situation, or null where it sends none (its server errors, a request it refuses without naming
 * why). The gateway's own refusals that OpenAI has no code for keep ours (`budget_exceeded`,
 * `residency_violation`, `no_deployment_available`); the kind itself is in the access log and metrics.
 */
const OPENAI_ERROR_CODES: Readonly<Record<ErrorKind, string | null>> = {
  rate_limited: 'rate_limit_exceeded',
  overloaded: null,
  unavailable: null,
  upstream_error: null,
  timeout: null,
  network: null,
  bad_upstream_response: null,
  context_window_exceeded: 'context_length_exceeded',
  content_filtered: 'content_filter',
  invalid_request: null,
  authentication: null,
  permission: null,
  unauthenticated: 'invalid_api_key',
  forbidden: null,
  not_found: 'model_not_found',
  budget_exceeded: 'budget_exceeded',
  residency_violation: 'residency_violation',
  no_deployment_available: 'no_deployment_available',
  cancelled: null,
  internal: null,
};

/** The `code` an OpenAI door sends: the error's own, else (its code is its kind) OpenAI's for the kind. */
export function openAIErrorCode(error: GatewayError): string | null {
  return error.code === error.kind ? OPENAI_ERROR_CODES[error.kind] : error.code;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** OpenAI's error body (Chat Completions, Embeddings and Responses share it). */
export function openAIErrorBody(error: GatewayError, exposeUpstream = false): OpenAIErrorBody {
  return {
    error: {
      message: error.clientMessage(exposeUpstream),
      type: OPENAI_ERROR_TYPES[error.kind],
      param: error.param ?? null,
      code: openAIErrorCode(error),
    },
  };
}
