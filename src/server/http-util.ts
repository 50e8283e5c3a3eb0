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

/** Nesting deeper than this is refused before parsing: code downstream walks request JSON recursively. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when arrays and objects in a JSON text nest deeper than `limit`. A loop over the bytes, no
 * recursion and no allocation; strings are skipped with `indexOf` (memchr), so brackets inside them
 * do not count and prompt text costs little. Malformed text is left for JSON.parse to refuse.
 */
export function nestsDeeperThan(text: Buffer, limit: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i];
    if (c === 0x22 /* " */) {
      let end = i;
      for (;;) {
        end = text.indexOf(0x22, end + 1);
        if (end === -1) return false;
        let k = end - 1;
        while (text[k] === 0x5c /* \ */) k--;
        if ((end - 1 - k) % 2 === 0) break;
      }
      i = end;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/** Parses a JSON body; anything unparseable or nested too deep is a 400 in the OpenAI shape. */
export function parseJson(body: Buffer): unknown {
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new GatewayError({ kind: 'invalid_request', code: 'invalid_json', message: `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.` });
  }
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

/**
 * The stack of an error and of every error it wraps (`cause`), for the internal-error log line: the
 * wrapper's own stack only says where the error was wrapped, not where it happened.
 */
export function errorChain(err: unknown): string {
  const lines: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth < 8; depth++) {
    lines.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) lines.push('caused by:');
  }
  return lines.join('\n');
}
