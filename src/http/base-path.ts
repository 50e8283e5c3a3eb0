import { GatewayError } from '../core/errors.js';
import type { AfterAnswer, BodyReader, HeaderMap, HttpRequest } from './exchange.js';

/**
 * `server.base_path`: the gateway served under a path prefix (`https://host/llm/v1/...`) that nothing in
 * front of it takes off: an Ingress or reverse proxy without a rewrite, an API Gateway custom domain's
 * API mapping or base path mapping (the event's path keeps the mapping key: aws-powertools
 * powertools-lambda-python docs "Custom Domain API Mappings" and issue #576, aws/serverless-java-container
 * #34, CodeGenieApp/serverless-express #86; what Mangum's `api_gateway_base_path`, serverless-http's
 * `basePath` and aws-lambda-web-adapter's `AWS_LWA_REMOVE_BASE_PATH` take off), an Azure Functions
 * `routePrefix`. One place for every runtime: the handler routes a request under it on the rest.
 */
export interface BasePath {
  /** The request routed on the part of its path under the base path; the request itself when outside it. */
  rebase(request: HttpRequest): HttpRequest;
  /** Throws the 404 for a request outside the base path (the handler lets only the health probes through). */
  refuseOutside(request: HttpRequest): void;
}

/** The path under `base` (`/llm/v1/models` → `/v1/models`, `/llm` → `/`); undefined when not under it. */
export function underBasePath(path: string, base: string): string | undefined {
  if (!path.startsWith(base)) return undefined;
  if (path.length === base.length) return '/';
  return path.charCodeAt(base.length) === 0x2f /* / */ ? path.slice(base.length) : undefined;
}

/**
 * The base path of a config's `server.base_path`, or undefined when the gateway is served at the root.
 * `shown` is how a 404 quotes the client's path (`RouteTable.shownPath`: a pasted key never comes back).
 */
export function createBasePath(base: string | undefined, shown: (path: string) => string): BasePath | undefined {
  if (base === undefined) return undefined;
  return {
    rebase(request) {
      const rest = underBasePath(request.path, base);
      return rest === undefined ? request : new RebasedRequest(request, rest);
    },
    refuseOutside(request) {
      if (request instanceof RebasedRequest) return;
      throw new GatewayError({
        kind: 'not_found',
        code: 'unknown_route',
        message: `Unknown route ${shown(request.path)}. This gateway is served under ${base} (server.base_path): call ${base}${shown(request.path)}.`,
      });
    },
  };
}

/**
 * A request as the client sent it, routed on the part of its path under the base path. Everything else
 * is read from the runtime's request, whose body reader and `afterAnswer` may be methods of its own.
 */
class RebasedRequest implements HttpRequest {
  readonly body: Uint8Array | BodyReader | undefined;

  constructor(
    private readonly sent: HttpRequest,
    readonly path: string,
  ) {
    const body = sent.body;
    this.body = typeof body === 'function' ? (limit, timeoutMs) => body.call(sent, limit, timeoutMs) : body;
  }

  get method(): string {
    return this.sent.method;
  }

  /** The path as sent, base path included: the root of the server span's `http.route` and `url.path`. */
  get originalPath(): string {
    return this.sent.originalPath ?? this.sent.path;
  }

  get pathDecoded(): boolean | undefined {
    return this.sent.pathDecoded;
  }

  get query(): string {
    return this.sent.query;
  }

  get scheme(): 'http' | 'https' | undefined {
    return this.sent.scheme;
  }

  get httpVersion(): string | undefined {
    return this.sent.httpVersion;
  }

  get headers(): HeaderMap {
    return this.sent.headers;
  }

  get signal(): HttpRequest['signal'] {
    return this.sent.signal;
  }

  get remoteAddress(): string | undefined {
    return this.sent.remoteAddress;
  }

  afterAnswer(task: AfterAnswer): void {
    if (this.sent.afterAnswer) this.sent.afterAnswer(task);
    else task.answered();
  }
}
