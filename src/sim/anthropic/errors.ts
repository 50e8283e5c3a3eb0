import type { ServerResponse } from 'node:http';
import type { Fault } from '../faults.js';

/** Anthropic's error type for each status it uses. */
const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const MESSAGE_BY_TYPE: Record<string, string> = {
  invalid_request_error: 'Invalid request.',
  authentication_error: 'invalid x-api-key',
  // The API's docs describe a 402 so; an empty account is refused as a 400 (`accountRefusalMessage`).
  billing_error: "There's an issue with your billing or payment information.",
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not found.',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit.',
  api_error: 'Internal server error',
  timeout_error: 'Request timed out.',
  overloaded_error: 'Overloaded',
};

/** An `account_refusal` fault: which account refusal to send. */
export type AccountRefusal = NonNullable<Fault['account_refusal']>;

/**
 * The words api.anthropic.com refuses an account's every request with, as a 400 invalid_request_error
 * (anthropics/claude-code#4684 out of credit, #2127 a usage limit, #19028 a disabled organization). A usage
 * limit names when access comes back: the start of the month after `now`, UTC.
 */
export function accountRefusalMessage(refusal: AccountRefusal, now: Date): string {
  if (refusal === 'credit_balance') return 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.';
  if (refusal === 'organization_disabled') return 'This organization has been disabled.';
  const back = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
  return `You have reached your specified API usage limits. You will regain access on ${back} at 00:00 UTC.`;
}

let requestCounter = 0;

/** The Anthropic error body: `{type:"error", error:{type, message}, request_id}`. */
export function errorBody(type: string, message: string): Record<string, unknown> {
  return { type: 'error', error: { type, message: message || MESSAGE_BY_TYPE[type] || 'Error' }, request_id: `req_sim${++requestCounter}` };
}

/** Sends an error the way api.anthropic.com does, with request-id and the retry hints its SDK reads. */
export function sendAnthropicError(res: ServerResponse, status: number, type: string | undefined, message?: string, headers: Record<string, string> = {}): void {
  const errType = type ?? TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const body = errorBody(errType, message ?? '');
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': String(body.request_id),
    'x-should-retry': String(status === 429 || status >= 500),
    ...headers,
  });
  res.end(text);
}

/** Answers a fault rule's status: its `error` names the Anthropic error type. */
export function sendFaultError(res: ServerResponse, fault: Fault): void {
  const status = fault.status ?? 500;
  const headers: Record<string, string> = {};
  if (fault.retry_after_s !== undefined) headers['retry-after'] = String(fault.retry_after_s);
  if (status === 429) headers['anthropic-ratelimit-requests-remaining'] = '0';
  sendAnthropicError(res, status, fault.error, fault.error_message, headers);
}

/** The in-stream `error` event body for a fault (overloaded unless the rule names another type). */
export function streamErrorBody(fault: Fault): Record<string, unknown> {
  const type = fault.error ?? 'overloaded_error';
  return errorBody(type, fault.error_message ?? '');
}
