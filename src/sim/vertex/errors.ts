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

/** The style of Google's front end's 404 page, as it sends it. */
const NOT_FOUND_STYLE =
  '*{margin:0;padding:0}html,code{font:15px/22px arial,sans-serif}html{background:#fff;color:#222;padding:15px}body{margin:7% auto 0;max-width:390px;min-height:180px;padding:30px 0 15px}* > body{background:url(//www.google.com/images/errors/robot.png) 100% 5px no-repeat;padding-right:205px}p{margin:11px 0 22px;overflow:hidden}ins{color:#777;text-decoration:none}a img{border:0}@media screen and (max-width:772px){body{background:none;margin-top:0;max-width:none;padding-right:0}}#logo{background:url(//www.google.com/images/branding/googlelogo/1x/googlelogo_color_150x54dp.png) no-repeat;margin-left:-5px}@media only screen and (min-resolution:192dpi){#logo{background:url(//www.google.com/images/branding/googlelogo/2x/googlelogo_color_150x54dp.png) no-repeat 0% 0%/100% 100%;-moz-border-image:url(//www.google.com/images/branding/googlelogo/2x/googlelogo_color_150x54dp.png) 0}}@media only screen and (-webkit-min-device-pixel-ratio:2){#logo{background:url(//www.google.com/images/branding/googlelogo/2x/googlelogo_color_150x54dp.png) no-repeat;-webkit-background-size:100% 100%}}#logo{display:inline-block;height:54px;width:150px}';

/** HTML-escapes a path quoted in the page. */
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * What aiplatform.googleapis.com answers a path it does not serve (an endpoint with a path of its own):
 * not the API's JSON error but Google's front end's HTML 404 page, "Error 404 (Not Found)!!1" quoting the
 * path (tensorzero/tensorzero#4306, AstrBotDevs/AstrBot#7653).
 */
export function sendGoogleNotFound(res: ServerResponse, path: string): void {
  const page = [
    '<!DOCTYPE html>',
    '<html lang=en>',
    '  <meta charset=utf-8>',
    '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">',
    '  <title>Error 404 (Not Found)!!1</title>',
    '  <style>',
    `    ${NOT_FOUND_STYLE}`,
    '  </style>',
    '  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>',
    '  <p><b>404.</b> <ins>That’s an error.</ins>',
    `  <p>The requested URL <code>${escapeHtml(path)}</code> was not found on this server.  <ins>That’s all we know.</ins>`,
    '',
  ].join('\n');
  res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8', 'content-length': Buffer.byteLength(page) });
  res.end(page);
}
