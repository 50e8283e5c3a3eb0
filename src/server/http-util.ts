import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { GatewayConfig } from '../config/schema.js';

/** Reads a request body up to `limit` bytes; larger bodies are refused with 413 before being buffered. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(limit));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge(limit));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on('error', (err) => reject(new GatewayError({ kind: 'cancelled', message: 'The client aborted the upload.', cause: err })));
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError({ kind: 'invalid_request', status: 413, code: 'request_too_large', message: `The request body exceeds the limit of ${limit} bytes.` });
}

/** Parses a JSON body; anything unparseable is a 400 in the OpenAI shape. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new GatewayError({ kind: 'invalid_request', code: 'invalid_json', message: 'The request body is not valid JSON.' });
  }
}

/** Sends `body` as JSON. `headers` is taken over (the content headers are added to it), never copied. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = Buffer.byteLength(text);
  res.writeHead(status, headers);
  res.end(text);
}

/** True when the deployment an error names lets clients see the upstream's (scrubbed) words. */
export function exposesUpstream(config: GatewayConfig, deployment: string | undefined): boolean {
  return deployment !== undefined && config.deployments.some((d) => d.id === deployment && d.expose_upstream_errors);
}

/**
 * Answers with the error in the OpenAI shape. Headers name the deployment that failed last and the
 * attempts made, as success answers do; a wait the upstream asked for goes on as retry-after and
 * retry-after-ms.
 */
export function sendError(res: ServerResponse, error: GatewayError, headers: Record<string, string> = {}, exposeUpstream = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const extra: Record<string, string> = { ...headers };
  if (error.deployment !== undefined) extra['x-switchyard-deployment'] = error.deployment;
  if (error.provider !== undefined) extra['x-switchyard-provider'] = error.provider;
  if (error.region !== undefined) extra['x-switchyard-region'] = error.region;
  if (error.attempts !== undefined) extra['x-switchyard-attempts'] = String(error.attempts);
  if (error.retryAfterMs !== undefined && (error.status === 429 || error.status === 503)) {
    extra['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
    extra['retry-after-ms'] = String(Math.ceil(error.retryAfterMs));
  }
  // 499 is nginx's "client closed request"; the client is gone, so any status will do for the log.
  sendJson(res, error.status, error.toOpenAI(exposeUpstream), extra);
}
