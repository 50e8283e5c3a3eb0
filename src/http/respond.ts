import type { GatewayError } from '../core/errors.js';
import { scrubUpstreamText } from '../core/scrub.js';
import type { GatewayConfig } from '../config/schema.js';
import type { HttpResponse } from './exchange.js';

/**
 * A JSON answer. `headers` is taken over (content-type and nosniff are added to it), never copied:
 * every answer and error the gateway writes as JSON, front doors, feature routes and runtimes alike,
 * passes here, so nosniff goes on in this one place (a browser must not read an error echoing a
 * request's text as HTML or script).
 */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return jsonTextResponse(status, JSON.stringify(body), headers);
}

/** A JSON answer whose text is written already (a stored answer, given back byte for byte). */
export function jsonTextResponse(status: number, text: string, headers: Record<string, string> = {}): HttpResponse {
  headers['content-type'] = 'application/json';
  headers['x-content-type-options'] = 'nosniff';
  return { status, headers, body: text };
}

/**
 * A JSON answer of the gateway's own API (status, usage, admin actions, virtual keys): `no-store`, so no
 * cache in front (a CDN, a proxy) keeps one caller's account data or a new key's secret for the next
 * caller; a request authenticated by `x-api-key` or `api-key` has no Authorization header to stop it.
 */
export function privateJsonResponse(status: number, body: unknown): HttpResponse {
  return jsonResponse(status, body, { 'cache-control': 'no-store' });
}

/**
 * An error answer with `body` (the front door's error shape). Headers name the deployment that failed
 * last and the attempts made, as success answers do; a wait the upstream asked for goes on as
 * retry-after and OpenAI's retry-after-ms (a door of another API drops what its API does not send in its
 * `Ingress.errorAnswer`), and the request's rate-limit headers go on too. `headers` is taken over.
 */
export function errorResponse(error: GatewayError, body: unknown, headers: Record<string, string>): HttpResponse {
  if (error.headers !== undefined) Object.assign(headers, error.headers);
  if (error.deployment !== undefined) headers['x-switchyard-deployment'] = error.deployment;
  if (error.provider !== undefined) headers['x-switchyard-provider'] = error.provider;
  if (error.region !== undefined) headers['x-switchyard-region'] = error.region;
  if (error.attempts !== undefined) headers['x-switchyard-attempts'] = String(error.attempts);
  if (error.retryAfterMs !== undefined && (error.status === 429 || error.status === 503)) {
    headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
    headers['retry-after-ms'] = String(Math.ceil(error.retryAfterMs));
  }
  // 499 is nginx's "client closed request"; the client is gone, so any status will do for the log.
  return jsonResponse(error.status, body, headers);
}

/** True when the deployment an error names lets clients see the upstream's (scrubbed) words. */
export function exposesUpstream(config: GatewayConfig, deployment: string | undefined): boolean {
  return deployment !== undefined && config.deployments.some((d) => d.id === deployment && d.expose_upstream_errors);
}

/**
 * An error as a runtime adapter logs it to its platform: name and message, control characters dropped,
 * credentials scrubbed, cut (`scrubUpstreamText`); never the stack, which repeats the message unscrubbed.
 */
export function errorSummary(err: unknown): string {
  // One line: a platform that logs plain text (Azure's context.error) would take a line feed for a new entry.
  return (err instanceof Error ? scrubUpstreamText(`${err.name}: ${err.message}`)?.replace(/\n/g, ' ') : undefined) ?? 'non-Error thrown';
}

/** Statuses Node has no reason phrase for (it would send "unknown"); undefined: Node's own. */
const REASONS: Readonly<Record<number, string>> = { 529: 'Overloaded' };

/** The reason phrase for a status line, where Node's would be wrong. */
export function reasonPhrase(status: number): string | undefined {
  return REASONS[status];
}
