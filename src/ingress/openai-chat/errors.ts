import type { ErrorKind, GatewayError } from '../../core/errors.js';

/** The `type` of OpenAI's error body for each kind of the taxonomy. */
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
  unauthenticated: 'authentication_error',
  forbidden: 'permission_error',
  not_found: 'invalid_request_error',
  budget_exceeded: 'insufficient_quota',
  residency_violation: 'permission_error',
  no_deployment_available: 'server_error',
  cancelled: 'request_cancelled',
  internal: 'server_error',
};

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

/** OpenAI's error body (Chat Completions, Embeddings and Responses share it). */
export function openAIErrorBody(error: GatewayError, exposeUpstream = false): OpenAIErrorBody {
  return {
    error: {
      message: error.clientMessage(exposeUpstream),
      type: OPENAI_ERROR_TYPES[error.kind],
      param: error.param ?? null,
      code: error.code,
    },
  };
}
