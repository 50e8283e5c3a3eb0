import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.js';

/** A keep-alive connection pool per upstream origin; sized for a gateway, not a browser. */
export function createAgent(options: { connections?: number; keepAliveTimeoutMs?: number } = {}): Agent {
  return new Agent({
    connections: options.connections ?? 128,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    pipelining: 1,
  });
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export interface UpstreamRequest {
  url: URL;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal: AbortSignal;
}

/**
 * Sends one upstream request and maps transport failures into the taxonomy. The URL always comes
 * from config, never from a client.
 */
export async function sendUpstream(agent: Dispatcher, req: UpstreamRequest, provider: string): Promise<UpstreamResponse> {
  try {
    const res = await agent.request({
      origin: req.url.origin,
      path: req.url.pathname + req.url.search,
      method: req.method ?? 'POST',
      headers: req.headers,
      body: req.body,
      signal: req.signal,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  } catch (err) {
    throw transportError(err, provider, req.signal);
  }
}

/** Maps a socket-level failure (or our own abort) to a GatewayError. */
export function transportError(err: unknown, provider: string, signal?: AbortSignal): GatewayError {
  if (GatewayError.isInstance(err)) return err;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (GatewayError.isInstance(reason)) return reason;
    return new GatewayError({ kind: 'cancelled', message: 'The request was cancelled.', provider, cause: err });
  }
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError({ kind: 'timeout', message: `Upstream ${provider} timed out.`, provider, cause: err });
  }
  const code = (err as { code?: string }).code ?? 'error';
  return new GatewayError({ kind: 'network', message: `Upstream ${provider} connection failed (${code}).`, provider, cause: err });
}

/** Reads a whole upstream body as text, mapping a mid-body socket failure into the taxonomy. */
export async function readText(res: UpstreamResponse, provider: string, signal: AbortSignal): Promise<string> {
  try {
    return await res.body.text();
  } catch (err) {
    throw transportError(err, provider, signal);
  }
}

/** Reads and parses a JSON body; an unparseable body is a bad_upstream_response, never a crash. */
export async function readJson(res: UpstreamResponse, provider: string, signal: AbortSignal): Promise<unknown> {
  const text = await readText(res, provider, signal);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError({
      kind: 'bad_upstream_response',
      message: `Upstream ${provider} returned a malformed body (status ${res.status}).`,
      provider,
      upstreamStatus: res.status,
    });
  }
}

/** Maps an upstream error status and its body (undefined when unreadable) into the taxonomy. */
export type UpstreamErrorMapper = (status: number, headers: UpstreamResponse['headers'], body: unknown, provider: string) => GatewayError;

/** The error an upstream error response stands for; an unreadable body still maps by its status. */
export async function upstreamError(res: UpstreamResponse, provider: string, signal: AbortSignal, map: UpstreamErrorMapper): Promise<GatewayError> {
  const body = await readJson(res, provider, signal).catch(() => undefined);
  return map(res.status, res.headers, body, provider);
}

/** First value of a header that may repeat. */
export function header(headers: UpstreamResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Iterates a streamed upstream body, mapping a mid-stream socket failure into the taxonomy. */
export async function* bodyChunks(res: UpstreamResponse, provider: string, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of res.body) yield chunk as Uint8Array;
  } catch (err) {
    throw transportError(err, provider, signal);
  }
}
