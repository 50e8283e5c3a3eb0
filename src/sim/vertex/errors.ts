import type { ServerResponse } from 'node:http';
import type { Fault } from '../faults.js';

const RPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const MESSAGES: Record<string, string> = {
  INVALID_ARGUMENT: 'Request contains an invalid argument.',
  UNAUTHENTICATED:
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  PERMISSION_DENIED: "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).",
  NOT_FOUND: 'Publisher Model was not found or your project does not have access to it.',
  RESOURCE_EXHAUSTED: 'Resource exhausted. Please try again later.',
  INTERNAL: 'Internal error encountered.',
  UNAVAILABLE: 'The service is currently unavailable.',
  DEADLINE_EXCEEDED: 'Deadline expired before operation could complete.',
};

/** Google's error envelope: `{error: {code, message, status, details?}}`. */
export function googleError(code: number, status?: string, message?: string, retryAfterS?: number): { error: Record<string, unknown> } {
  const rpc = status ?? RPC_STATUS[code] ?? 'UNKNOWN';
  const error: Record<string, unknown> = { code, message: message ?? MESSAGES[rpc] ?? `Simulated ${code}`, status: rpc };
  if (retryAfterS !== undefined) error.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterS}s` }];
  return { error };
}

export function sendGoogleError(res: ServerResponse, code: number, status?: string, message?: string, retryAfterS?: number): void {
  const text = JSON.stringify(googleError(code, status, message, retryAfterS));
  res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A status fault in Google's shape; `error` names the RPC status (e.g. RESOURCE_EXHAUSTED). */
export function sendFaultError(res: ServerResponse, fault: Fault): void {
  const code = fault.status ?? 500;
  const rpc = fault.error !== undefined && /^[A-Z_]+$/.test(fault.error) ? fault.error : undefined;
  sendGoogleError(res, code, rpc, fault.error_message, fault.retry_after_s);
}
