import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../server.js';

/** Whose server an OpenAI-compatible simulator is, as far as a path it does not serve goes. */
export type OpenAICompatibleServer = 'openai' | 'vllm' | 'ollama';

/** The paths every one of these servers serves, and with which methods: the API lives under `/v1`. */
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/v1/models': ['GET'],
  '/v1/chat/completions': ['POST'],
  '/v1/embeddings': ['POST'],
};

/** Whether the simulator serves `method path` (a path outside `/v1`, an endpoint without it, never). */
export function servesRoute(method: string | undefined, path: string): boolean {
  return ROUTES[path]?.includes(method ?? 'GET') === true;
}

/**
 * The server's own answer to a path it does not serve (a deployment whose endpoint misses `/v1`):
 * - OpenAI: 404 `invalid_request_error` naming the method and path ("Invalid URL (POST /chat/completions)",
 *   as api.openai.com answers a base URL without `/v1`: microsoft/TaskWeaver#11, harry0703/MoneyPrinterTurbo#57);
 * - vLLM (FastAPI): 404 `{"detail":"Not Found"}`, or 405 `{"detail":"Method Not Allowed"}` with `allow` for
 *   a path it serves with another method;
 * - Ollama (Gin, no route for it): 404 `404 page not found` as text/plain (ollama/ollama#6013, #1467).
 */
export function sendUnknownPath(server: OpenAICompatibleServer, req: IncomingMessage, res: ServerResponse, path: string): void {
  const method = req.method ?? 'GET';
  if (server === 'ollama') {
    const text = '404 page not found';
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (server === 'vllm') {
    const allowed = ROUTES[path];
    if (allowed === undefined) return sendJson(res, 404, { detail: 'Not Found' });
    res.setHeader('allow', allowed.join(', '));
    return sendJson(res, 405, { detail: 'Method Not Allowed' });
  }
  sendJson(res, 404, { error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } });
}
