import type { Fault } from '../faults.js';

/** Azure OpenAI's wire details the simulator answers with: filter annotations and error shapes. */

const safe = { filtered: false, severity: 'safe' };

/** Annotations of a prompt that passed every filter (the leading stream chunk and non-stream body). */
export function promptFilterResults(): unknown[] {
  return [
    {
      prompt_index: 0,
      content_filter_results: { hate: safe, jailbreak: { filtered: false, detected: false }, self_harm: safe, sexual: safe, violence: safe },
    },
  ];
}

/** Output annotations; `blocked` marks violence as filtered, as Azure does when it stops an answer. */
export function outputFilterResults(blocked: boolean): Record<string, unknown> {
  return {
    hate: safe,
    protected_material_code: { filtered: false, detected: false },
    protected_material_text: { filtered: false, detected: false },
    self_harm: safe,
    sexual: safe,
    violence: blocked ? { filtered: true, severity: 'medium' } : safe,
  };
}

export interface WireError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Azure's 401 for a wrong api-key; a fault's `error_message` in place of its words. */
export const unauthorizedKey = (
  message = 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
): WireError => ({ status: 401, headers: {}, body: { error: { code: '401', message } } });

export const unauthorizedToken = (): WireError => ({
  status: 401,
  headers: {},
  body: { error: { code: '401', message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.' } },
});

/** What Azure answers for a deployment-style path without api-version, and for a path it does not serve. */
export const resourceNotFound = (): WireError => ({ status: 404, headers: {}, body: { error: { code: '404', message: 'Resource not found' } } });

export const apiVersionNotSupported = (): WireError => ({ status: 400, headers: {}, body: { error: { code: 'BadRequest', message: 'API version not supported' } } });

/** Azure's 404 for a deployment name it does not know; a fault's `error_message` in place of its words. */
export const deploymentNotFound = (
  message = 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
): WireError => ({ status: 404, headers: {}, body: { error: { code: 'DeploymentNotFound', message } } });

/**
 * Azure's 400 for a deployment whose model does not do the operation: chat on an embedding model, or
 * embeddings on a chat model, in its words (microsoft/graphrag#1557, OpenHands/OpenHands#1003), naming
 * the model without its version.
 */
export function operationNotSupported(operation: 'chatCompletion' | 'embeddings', model: string): WireError {
  const name = model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  const message = `The ${operation} operation does not work with the specified model, ${name}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`;
  return { status: 400, headers: {}, body: { error: { code: 'OperationNotSupported', message } } };
}

/**
 * The error a fault asks for, in Azure's shape. `error` names: content_filter (the prompt-filter 400),
 * context_length_exceeded, or any code to put in `error.code`.
 */
export function faultError(fault: Fault, operation: string, apiVersion: string): WireError {
  const status = fault.status ?? 500;
  const message = fault.error_message;
  if (status === 429) {
    const seconds = fault.retry_after_s ?? 1;
    return {
      status,
      headers: {
        'retry-after': String(Math.ceil(seconds)),
        'retry-after-ms': String(Math.round(seconds * 1000)),
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-remaining-tokens': '0',
      },
      body: {
        error: {
          code: fault.error ?? '429',
          message:
            message ??
            `Requests to the ${operation} Operation under Azure OpenAI API version ${apiVersion} have exceeded token rate limit of your current AIServices S0 pricing tier. Please retry after ${Math.ceil(seconds)} seconds.`,
        },
      },
    };
  }
  const headers: Record<string, string> = fault.retry_after_s !== undefined ? { 'retry-after': String(fault.retry_after_s) } : {};
  if (fault.error === 'content_filter') {
    return {
      status,
      headers,
      body: {
        error: {
          message:
            message ??
            "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
          type: null,
          param: 'prompt',
          code: 'content_filter',
          status,
          innererror: {
            code: 'ResponsibleAIPolicyViolation',
            content_filter_result: { hate: safe, jailbreak: { filtered: false, detected: false }, self_harm: safe, sexual: safe, violence: { filtered: true, severity: 'high' } },
          },
        },
      },
    };
  }
  if (fault.error === 'context_length_exceeded') {
    return {
      status,
      headers,
      body: {
        error: {
          message: message ?? "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    };
  }
  // Azure's own 401 and 404 shapes, which carry words like every other error: the fault's, if it has any.
  if (status === 401 && fault.error === undefined) return { ...unauthorizedKey(message), headers };
  if (status === 404 && fault.error === undefined) return { ...deploymentNotFound(message), headers };
  const defaults: Record<number, [string, string]> = {
    403: ['403', 'Public access is disabled. Please configure private endpoint.'],
    408: ['Timeout', 'The operation was timeout.'],
    500: ['InternalServerError', 'The server had an error while processing your request. Sorry about that!'],
    503: ['ServiceUnavailable', 'The service is temporarily unable to process your request. Please try again later.'],
  };
  const [code, text] = defaults[status] ?? [status >= 500 ? 'InternalServerError' : 'BadRequest', `Simulated ${status}`];
  return {
    status,
    headers,
    body: { error: { message: message ?? text, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: fault.error ?? code } },
  };
}
