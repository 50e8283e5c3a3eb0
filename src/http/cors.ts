import type { HeaderMap, HttpResponse } from './exchange.js';
import { normalOrigin } from './browser-guard.js';

/**
 * CORS for the pages of `server.allowed_origins`: the browser guard lets their requests through, and
 * these headers let the page send them (a JSON POST with a key is always preflighted) and read the answer.
 * Other origins never get a CORS header: the guard refuses them, and a same-origin page (the dashboard)
 * needs none.
 */
export interface Cors {
  /**
   * The 204 answer to a preflight from an allowed origin for a path whose methods are `methods`
   * (`POST`, `GET, HEAD`); undefined for any other origin (the browser guard has refused foreign ones).
   */
  preflight(headers: HeaderMap, methods: string): HttpResponse | undefined;
  /** `answer` with the headers that let a page of `origin` read it; `answer` itself for another origin. */
  reveal(origin: string, answer: HttpResponse): HttpResponse;
}

/**
 * Request headers a page may send: those the gateway reads (keys, `anthropic-version`, trace context,
 * the client's request id) and those the official SDKs send from a browser. `x-stainless-*` (the SDKs'
 * platform and retry headers) and `x-switchyard-*` (routing hints) are allowed by prefix.
 */
const REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'authorization',
  'x-api-key',
  'api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-beta',
  'openai-organization',
  'openai-project',
  'x-request-id',
  'traceparent',
  'tracestate',
]);
const REQUEST_PREFIXES = ['x-stainless-', 'x-switchyard-'] as const;

/**
 * Answer headers a page may read besides the CORS-safelisted ones: request ids, who served the answer
 * and what it cost, waits, whether to retry (Anthropic's x-should-retry) and rate limits (OpenAI's and
 * Anthropic's names). Trailers (a stream's cost) never reach a page: fetch() has no trailers.
 */
export const EXPOSED_HEADERS = [
  'x-request-id',
  'request-id',
  'x-switchyard-deployment',
  'x-switchyard-provider',
  'x-switchyard-region',
  'x-switchyard-attempts',
  'x-switchyard-cache',
  'x-switchyard-warnings',
  'x-switchyard-cost-usd',
  'x-switchyard-usage-estimated',
  'x-switchyard-estimated',
  'retry-after',
  'retry-after-ms',
  'x-should-retry',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'anthropic-ratelimit-requests-limit',
  'anthropic-ratelimit-requests-remaining',
  'anthropic-ratelimit-requests-reset',
  'anthropic-ratelimit-tokens-limit',
  'anthropic-ratelimit-tokens-remaining',
  'anthropic-ratelimit-tokens-reset',
].join(', ');

/** How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 7200). */
const MAX_AGE = '600';

/** True for a CORS preflight: OPTIONS naming the method the page means to send. */
export function isPreflight(method: string, headers: HeaderMap): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

/** CORS for `allowedOrigins`; undefined when there are none, so the handler does not even read `Origin`. */
export function createCors(allowedOrigins: readonly string[]): Cors | undefined {
  if (allowedOrigins.length === 0) return undefined;
  const origins = new Set(allowedOrigins.map(normalOrigin));
  const allowed = (origin: string): boolean => origins.has(normalOrigin(origin));
  return {
    preflight(headers, methods) {
      const origin = headers.origin;
      if (origin === undefined || !allowed(origin)) return undefined;
      const answer: Record<string, string> = {
        // The origin as the browser sent it, never `*`: the page sends keys.
        'access-control-allow-origin': origin,
        'access-control-allow-methods': methods,
        'access-control-max-age': MAX_AGE,
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      };
      const asked = headers['access-control-request-headers'];
      const granted = asked === undefined ? '' : grantedHeaders(asked);
      if (granted !== '') answer['access-control-allow-headers'] = granted;
      return { status: 204, headers: answer, body: '' };
    },
    reveal(origin, answer) {
      if (!allowed(origin) || answer.headers['access-control-allow-origin'] !== undefined) return answer;
      // A copy: a route may answer with a headers object it shares between requests.
      const headers = Object.assign({}, answer.headers);
      headers['access-control-allow-origin'] = origin;
      headers['access-control-expose-headers'] = EXPOSED_HEADERS;
      headers.vary = headers.vary === undefined ? 'Origin' : `${headers.vary}, Origin`;
      return { status: answer.status, headers, body: answer.body, trailers: answer.trailers };
    },
  };
}

/** The requested headers the gateway takes, as the browser named them; others are left out, so the browser refuses to send them. */
function grantedHeaders(asked: string): string {
  const granted: string[] = [];
  for (const raw of asked.split(',')) {
    const name = raw.trim().toLowerCase();
    if (REQUEST_HEADERS.has(name) || REQUEST_PREFIXES.some((p) => name.startsWith(p))) granted.push(name);
  }
  return granted.join(', ');
}
