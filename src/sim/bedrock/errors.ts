import type { ServerResponse } from 'node:http';
import type { Fault } from '../faults.js';

/** The status AWS sends with each Bedrock Runtime error name. */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
  ValidationException: 400,
  ServiceQuotaExceededException: 400,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  MissingAuthenticationTokenException: 403,
};

const DEFAULT_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

const DEFAULT_MESSAGE: Readonly<Record<string, string>> = {
  ThrottlingException: 'Too many requests, please wait before trying again.',
  ModelNotReadyException: 'Model is not ready to serve inference requests. The AWS SDK will automatically retry the operation up to 5 times.',
  ServiceUnavailableException: 'Bedrock is unable to process your request.',
  InternalServerException: 'The server encountered an internal error.',
  ValidationException: 'Malformed input request, please reformat your input and try again.',
  ModelTimeoutException: 'Model has timed out in processing the request. Try your request again.',
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ResourceNotFoundException: 'The requested resource could not be found.',
};

/**
 * Writes an error the way AWS does: status, `x-amzn-errortype: Name:namespace`, `x-amzn-requestid`
 * and a `{"message"}` body. A `retry-after` header is only sent when a fault rule scripts one.
 */
export function sendAwsError(res: ServerResponse, name: string, message: string, status = ERROR_STATUS[name] ?? 400, retryAfterS?: number): void {
  const text = JSON.stringify({ message });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    'x-amzn-requestid': requestId(),
  };
  if (retryAfterS !== undefined) headers['retry-after'] = String(retryAfterS);
  res.writeHead(status, headers);
  res.end(text);
}

/** Answers a fault rule's HTTP error: the rule's `error` name (or the status's usual one) and message. */
export function sendFaultError(res: ServerResponse, fault: Fault): void {
  const status = fault.status ?? 500;
  const name = fault.error ?? DEFAULT_BY_STATUS[status] ?? 'InternalServerException';
  sendAwsError(res, name, fault.error_message ?? DEFAULT_MESSAGE[name] ?? `Simulated ${status}`, status, fault.retry_after_s);
}

let seq = 0;

/** A request id in AWS's UUID shape, deterministic per simulator process. */
export function requestId(): string {
  seq += 1;
  const hex = seq.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}
