/**
 * What the OpenTelemetry HTTP semantic conventions ask of a SERVER span beyond the route: the method as
 * they know it, the server the client addressed, the HTTP version it spoke. Worked out when a sampled
 * span is exported, never on the request path.
 */

/** The methods the conventions know (RFC 9110's and PATCH); any other is recorded as `_OTHER`. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/**
 * `http.request.method`: the method if the conventions know it (case-sensitive), `_OTHER` otherwise.
 * The gateway's routes take only known methods, so no override list is needed.
 */
export function httpMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** A host header's host and port: `example.com`, `example.com:8443`, `[::1]:8080`. */
const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]@/]+))(?::(\d{1,5}))?$/;

/**
 * `server.address` and `server.port` from the `Host` header (HTTP/1.1; Node and the serverless
 * platforms give HTTP/2's `:authority` as `host` too). `X-Forwarded-Host` is not read: nothing tells
 * the gateway which proxies to trust. The port only when the header names one (behind a proxy that
 * terminates TLS, the scheme's default would not be the port the client used). Undefined for a header
 * that is no host.
 */
export function serverOfHost(host: string | undefined): { address: string; port: number | undefined } | undefined {
  if (host === undefined) return undefined;
  const m = HOST.exec(host);
  if (!m) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  return { address: (m[1] ?? m[2]) as string, port: port !== undefined && port <= 65_535 ? port : undefined };
}

/** The HTTP versions the conventions write, by the ways runtimes write them. */
const VERSIONS: ReadonlyMap<string, string> = new Map([
  ['1.0', '1.0'],
  ['1.1', '1.1'],
  ['2', '2'],
  ['2.0', '2'],
  ['3', '3'],
  ['3.0', '3'],
]);

/**
 * `network.protocol.version` as the conventions write it (`1.0`, `1.1`, `2`, `3`) from what a runtime
 * reports: Node's `1.1`, API Gateway's `HTTP/1.1`. Undefined when the runtime reported nothing or
 * something that is no HTTP version: the conventions want the attribute left out when the version is
 * not known.
 */
export function protocolVersion(reported: string | undefined): string | undefined {
  if (reported === undefined) return undefined;
  return VERSIONS.get(reported.startsWith('HTTP/') ? reported.slice(5) : reported);
}

/**
 * The application root a runtime took off the client's path before routing (`/prod` of API Gateway's
 * stage, `/api` of an Azure route prefix): the part of the path as sent in front of the path routed on,
 * or '' when there is none. The conventions want `http.route` to include it.
 */
export function applicationRoot(sentPath: string | undefined, routedPath: string): string {
  if (sentPath === undefined || sentPath.length <= routedPath.length || !sentPath.endsWith(routedPath)) return '';
  const root = sentPath.slice(0, sentPath.length - routedPath.length);
  return root.endsWith('/') ? root.slice(0, -1) : root;
}
