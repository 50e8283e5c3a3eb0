import type { DeploymentBase } from './schema.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Headers that carry a credential when a deployment sets them itself (`headers:`). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'x-goog-api-key']);

/** True when the deployment's own `api_key` or `headers` hold a credential. */
export function configuresCredential(d: DeploymentBase): boolean {
  // Called on what parsed of a deployment, which may lack any field.
  const headers: Record<string, unknown> = typeof d.headers === 'object' && d.headers !== null ? d.headers : {};
  return d.api_key !== undefined || Object.keys(headers).some((name) => CREDENTIAL_HEADERS.has(name.toLowerCase()));
}

/**
 * Why the deployment must not start: its credentials would cross the network in clear text (an http
 * endpoint off this host), unless the config says so with `allow_insecure_http`. Undefined when fine.
 */
export function plainHttpProblem(d: DeploymentBase, sendsCredentials: boolean): string | undefined {
  if (typeof d.endpoint !== 'string' || !URL.canParse(d.endpoint) || d.allow_insecure_http === true || !sendsCredentials) return undefined;
  const url = new URL(d.endpoint);
  if (url.protocol !== 'http:' || LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.')) return undefined;
  return 'credentials would travel over plain http to another host; use https or set allow_insecure_http: true';
}
