import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { type BodyStream, type HttpHandler, type HttpRequest, type HttpResponse } from '../http/exchange.js';
import { createHttpHandler } from '../http/handler.js';
import { anthropicShapeProblem, openAIShapeProblem } from '../ingress/testing/error-shapes.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { createLambdaHandler, createStreamingLambdaHandler } from './aws-lambda/handler.js';
import type { LambdaResult } from './aws-lambda/result.js';
import { LAMBDA_SHAPES, lambdaEvent, type LambdaShape, type Seen } from './aws-lambda/testing/client-events.js';
import { RecordingResponseStream, fakeAwslambda, fakeContext } from './aws-lambda/testing/fake-runtime.js';
import { createAzureHandler } from './azure-functions/handler.js';
import { asPlatformResponse, recordingContext, streamingRequest } from './azure-functions/testing/azure.js';
import { registerGcpFunction } from './gcp-functions/index.js';
import { clientRequests, joinedHeaders, queryPairs, type ClientRequest } from './testing/client-requests.js';

/*
 * The serverless adapters' own translation, fuzzed: seeded requests as clients send them
 * (`testing/client-requests.ts`: paths with percent-encoding, dot segments, doubled slashes, unicode, a
 * pasted secret; queries; repeated headers differing in case, cookies, huge and prototype-named headers;
 * content codings, chunked or absent framing; broken, non-UTF-8, gzip and large bodies) reach each
 * platform as that platform hands them over: every Lambda event shape (HTTP API and Function URL
 * payload 2.0, REST API, ALB with and without multi-value headers; bodies base64 or not; buffered and
 * response streaming, `aws-lambda/testing/client-events.ts`; and, though AWS never sends it, a body
 * flagged base64 that is not), functions-framework's own server over a
 * socket, and Azure's HttpRequest in streaming mode. Twice per case:
 * - behind a recording handler answering one of several canned answers (JSON text and bytes, binary,
 *   text that is not UTF-8, SSE with trailers, an error, an empty 204): the handler must see exactly the
 *   method, path, query, headers and body the platform passed, and the platform must get back a result
 *   it accepts (Lambda's `headers` or ALB's `multiValueHeaders`, base64 exactly for bytes that are not
 *   text) carrying that answer;
 * - behind the real handler (a gateway with a key and a fake provider): no unhandled error, no 5xx,
 *   every error JSON in the front door's shape, no secret of the request in the answer.
 * A platform's own refusal, before the function runs, is no answer of ours and is counted apart:
 * node:http's of a request past its header size (431). What functions-framework's body parsers refuse
 * (JSON) reaches the function all the same (`gcp-functions/framework-refusals.ts`) with the bytes they
 * buffered, and a coded body, whose coding they are never shown, is buffered as sent.
 * SWITCHYARD_FUZZ_SEED and SWITCHYARD_FUZZ_ADAPTER_CASES explore beyond the fixed run;
 * SWITCHYARD_FUZZ_LOG=1 names each case before it runs.
 */

const SEED = Number(process.env.SWITCHYARD_FUZZ_SEED ?? 20_260_504);
const CASES = Number(process.env.SWITCHYARD_FUZZ_ADAPTER_CASES ?? 400);
const LOG = process.env.SWITCHYARD_FUZZ_LOG === '1';

const SECRETS = { key: 'sk-fuzz-adapter-key-0123456789abcdef', pasted: 'sk-pasted-secret-fedcba9876543210' };
const CASES_OF_RUN = clientRequests(SEED, CASES, SECRETS);

const TEXT = '{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Grüß dich 👋"},"finish_reason":"stop"}]}';
const SSE = ['data: {"choices":[{"delta":{"content":"Grüß"}}]}\n\n', 'data: [DONE]\n\n'];

interface Canned {
  readonly name: string;
  readonly answer: () => HttpResponse;
  /** What the client must get: status, headers (trailers folded in where the platform has none), body bytes. */
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly trailers?: Record<string, string>;
  readonly bytes: Buffer;
}

async function* sse(): BodyStream {
  yield* SSE;
}

const CANNED: readonly Canned[] = [
  { name: 'JSON text', answer: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: TEXT }), status: 200, headers: { 'content-type': 'application/json' }, bytes: Buffer.from(TEXT) },
  { name: 'JSON bytes', answer: () => ({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: new TextEncoder().encode(TEXT) }), status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, bytes: Buffer.from(TEXT) },
  { name: 'binary', answer: () => ({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 159, 146, 150, 255]) }), status: 200, headers: { 'content-type': 'application/octet-stream' }, bytes: Buffer.from([0, 159, 146, 150, 255]) },
  { name: 'text not UTF-8', answer: () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: new Uint8Array([0x68, 0xff, 0x69]) }), status: 200, headers: { 'content-type': 'text/plain' }, bytes: Buffer.from([0x68, 0xff, 0x69]) },
  {
    name: 'SSE with trailers',
    answer: () => ({ status: 200, headers: { 'content-type': 'text/event-stream', trailer: 'x-switchyard-cost-usd' }, body: sse(), trailers: () => ({ 'x-switchyard-cost-usd': '0.000125' }) }),
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    trailers: { 'x-switchyard-cost-usd': '0.000125' },
    bytes: Buffer.from(SSE.join('')),
  },
  { name: 'error', answer: () => ({ status: 429, headers: { 'content-type': 'application/json', 'retry-after': '2' }, body: '{"error":{}}' }), status: 429, headers: { 'content-type': 'application/json', 'retry-after': '2' }, bytes: Buffer.from('{"error":{}}') },
  { name: 'empty', answer: () => ({ status: 204, headers: {}, body: '' }), status: 204, headers: {}, bytes: Buffer.alloc(0) },
];

/** What a recording handler saw of one request. */
interface Recorded {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer;
  /** What reading the body threw instead (Cloud Functions: a body functions-framework's parsers could not decode). */
  refused?: string;
}

/** Records the request (its body read whole, well past any fuzzed size) and answers `canned`. */
function recorder(): { handler: HttpHandler; seen: Recorded[]; canned: { current: Canned } } {
  const seen: Recorded[] = [];
  const canned = { current: CANNED[0] as Canned };
  const handler: HttpHandler = async (request: HttpRequest) => {
    let refused: string | undefined;
    const body = typeof request.body === 'function' ? await request.body(16 << 20, 10_000).catch((error: unknown) => void (refused = String(error))) : request.body;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = value;
    seen.push({ method: request.method, path: request.path, query: request.query, headers, body: Buffer.from(body ?? new Uint8Array()), ...(refused === undefined ? {} : { refused }) });
    return canned.current.answer();
  };
  return { handler, seen, canned };
}

const sorted = (headers: Record<string, string>): string => JSON.stringify(Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : 1)));

/** What differs between what the handler saw and what it should have seen. */
function seenProblem(got: Recorded | undefined, want: Seen): string | undefined {
  if (got === undefined) return 'the handler was not called';
  if (got.refused !== undefined) return `reading the body threw ${got.refused}`;
  if (got.method !== want.method.toUpperCase()) return `method ${got.method}`;
  if (got.path !== want.path) return `path ${JSON.stringify(got.path.slice(0, 120))}, sent ${JSON.stringify(want.path.slice(0, 120))}`;
  if (want.query !== undefined && got.query !== want.query) return `query ${JSON.stringify(got.query.slice(0, 120))}, sent ${JSON.stringify(want.query.slice(0, 120))}`;
  if (want.pairs !== undefined && JSON.stringify(queryPairs(got.query)) !== JSON.stringify(want.pairs)) return `query ${JSON.stringify(got.query.slice(0, 120))}, sent ${JSON.stringify(want.pairs).slice(0, 120)}`;
  if (sorted(got.headers) !== sorted(want.headers)) return `headers ${sorted(got.headers).slice(0, 400)}, sent ${sorted(want.headers).slice(0, 400)}`;
  if (!got.body.equals(want.body ?? Buffer.alloc(0))) return `body of ${got.body.length} bytes, sent ${want.body?.length ?? 0}`;
  return undefined;
}

const quotesSecret = (text: string): boolean => text.includes(SECRETS.key.slice(-16)) || text.includes(SECRETS.pasted.slice(-16));

/** What is wrong with the real handler's answer to a client's request, or undefined. */
function answerProblem(method: string, path: string, status: number, headers: Record<string, string>, text: string): string | undefined {
  if (quotesSecret(text + JSON.stringify(headers))) return 'echoes a secret';
  const contentType = headers['content-type'];
  if (status >= 500) return `status ${status}`;
  // An answer to HEAD has no body to be in any shape.
  if (status < 400 || method === 'HEAD') return undefined;
  if (!contentType?.startsWith('application/json')) return `error content-type ${contentType}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'error body is not JSON';
  }
  const anthropic = /^\/v1\/messages(\/count_tokens)?$/.test(path);
  const problem = anthropic ? anthropicShapeProblem(json) : openAIShapeProblem(json) === undefined ? undefined : anthropicShapeProblem(json);
  return problem === undefined ? undefined : `error out of shape: ${problem}`;
}

/** The result fields each Lambda front door accepts. */
const RESULT_KEYS: Record<LambdaShape, string> = {
  'http-api': 'body,headers,isBase64Encoded,statusCode',
  'function-url': 'body,headers,isBase64Encoded,statusCode',
  'rest-api': 'body,headers,isBase64Encoded,statusCode',
  'alb-multi': 'body,isBase64Encoded,multiValueHeaders,statusCode,statusDescription',
  'alb-single': 'body,headers,isBase64Encoded,statusCode,statusDescription',
};

/** The result's status, headers and body bytes, or what makes it one the front door refuses. */
function lambdaResult(shape: LambdaShape, result: LambdaResult): { status: number; headers: Record<string, string>; bytes: Buffer } | string {
  const keys = Object.keys(result).sort().join();
  if (keys !== RESULT_KEYS[shape]) return `result fields ${keys}`;
  const r = result as { statusCode: number; headers?: Record<string, unknown>; multiValueHeaders?: Record<string, unknown>; body: unknown; isBase64Encoded: unknown; statusDescription?: unknown };
  if (!Number.isInteger(r.statusCode)) return 'statusCode not an integer';
  if (typeof r.body !== 'string' || typeof r.isBase64Encoded !== 'boolean') return 'body or isBase64Encoded of the wrong type';
  if (r.statusDescription !== undefined && (typeof r.statusDescription !== 'string' || !r.statusDescription.startsWith(`${r.statusCode}`))) return `statusDescription ${String(r.statusDescription)}`;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    if (typeof value !== 'string') return `header ${name} not a string`;
    headers[name] = value;
  }
  for (const [name, values] of Object.entries(r.multiValueHeaders ?? {})) {
    if (!Array.isArray(values) || values.length !== 1 || typeof values[0] !== 'string') return `multi-value header ${name} not one string`;
    headers[name] = values[0];
  }
  if (r.isBase64Encoded && !/^[A-Za-z0-9+/]*={0,2}$/.test(r.body)) return 'isBase64Encoded but not base64';
  const bytes = Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
  // A REST API hands a base64 body to the client verbatim unless binaryMediaTypes name the type: text goes back as text.
  if (r.isBase64Encoded && /^(text\/|application\/json)/.test(headers['content-type'] ?? '') && isUtf8(bytes)) return 'UTF-8 text base64-encoded';
  return { status: r.statusCode, headers, bytes };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function isUtf8(bytes: Buffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * What differs between what the platform got back and the canned answer. Trailers: `fold`ed into the
 * headers of a whole answer (Lambda's buffered doors), `drop`ped (Lambda streaming, Azure), or `send`
 * as trailers, announced (node:http under functions-framework).
 */
function deliveredProblem(got: { status: number; headers: Record<string, string>; bytes: Buffer; trailers?: Record<string, string> }, want: Canned, trailers: 'fold' | 'drop' | 'send'): string | undefined {
  if (got.status !== want.status) return `status ${got.status}, answered ${want.status}`;
  const announced: Record<string, string> = want.trailers === undefined ? {} : { trailer: Object.keys(want.trailers).join(', ') };
  const headers = trailers === 'fold' ? { ...want.headers, ...want.trailers } : trailers === 'send' ? { ...want.headers, ...announced } : want.headers;
  if (sorted(got.headers) !== sorted(headers)) return `headers ${sorted(got.headers)}, answered ${sorted(headers)}`;
  if (trailers === 'send' && sorted(got.trailers ?? {}) !== sorted(want.trailers ?? {})) return `trailers ${sorted(got.trailers ?? {})}`;
  if (!got.bytes.equals(want.bytes)) return `body ${JSON.stringify(got.bytes.toString('latin1').slice(0, 80))}, answered ${JSON.stringify(want.bytes.toString('latin1').slice(0, 80))}`;
  return undefined;
}

describe('the serverless adapters under fuzzed client requests', () => {
  let gateway: Gateway;
  let real: HttpHandler;

  beforeAll(() => {
    const provider = new FakeProvider('d');
    gateway = createGateway({ api_keys: [{ id: 'k', key: SECRETS.key }], deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }] }, { createProvider: () => provider });
    real = createHttpHandler(gateway);
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('Lambda: every event shape, buffered and streamed, hands the gateway what AWS passed and returns a result AWS accepts', async () => {
    vi.stubGlobal('awslambda', fakeAwslambda);
    const onError = vi.fn();
    const rec = recorder();
    const buffered = createLambdaHandler(rec.handler, { onError });
    const streamed = createStreamingLambdaHandler(rec.handler, { onError });
    const bufferedReal = createLambdaHandler(real, { onError });
    const bad: string[] = [];
    try {
      for (const [i, c] of CASES_OF_RUN.entries()) {
        if (LOG) console.log(c.label);
        for (const shape of LAMBDA_SHAPES) {
          const { event, seen } = lambdaEvent(shape, c, i % 3 === 0);
          const canned = CANNED[(i + shape.length) % CANNED.length] as Canned;
          rec.canned.current = canned;
          rec.seen.length = 0;
          const where = `${c.label} [${shape}, answer ${canned.name}]`;
          try {
            const result = lambdaResult(shape, await buffered(event, fakeContext()));
            const problem = seenProblem(rec.seen[0], seen) ?? (typeof result === 'string' ? result : deliveredProblem(result, canned, 'fold'));
            if (problem) bad.push(`${where}: ${problem}`);
            const answered = lambdaResult(shape, await bufferedReal(event, fakeContext()));
            const realProblem = typeof answered === 'string' ? answered : answerProblem(c.method, seen.path, answered.status, answered.headers, answered.bytes.toString('utf8'));
            if (realProblem) bad.push(`${where} (gateway): ${realProblem}`);
            // Base64 AWS never writes (it encodes bodies itself): still an answer, never a failed invocation.
            if (i % 5 === 0) {
              const garbled = lambdaResult(shape, await bufferedReal({ ...event, body: '*not base64*=%', isBase64Encoded: true }, fakeContext()));
              const garbledProblem = typeof garbled === 'string' ? garbled : answerProblem(c.method, seen.path, garbled.status, garbled.headers, garbled.bytes.toString('utf8'));
              if (garbledProblem) bad.push(`${where} (invalid base64): ${garbledProblem}`);
            }
            if (shape === 'function-url') {
              rec.seen.length = 0;
              const out = new RecordingResponseStream();
              await streamed(event, out as never, fakeContext());
              const bytes = out.bytes();
              const at = bytes.indexOf(Buffer.alloc(8));
              const prelude = JSON.parse(bytes.subarray(0, at).toString('utf8')) as { statusCode: number; headers: Record<string, string> };
              // Lambda's response stream sends what is written: the adapter writes no body to a HEAD.
              const sent = c.method.toUpperCase() === 'HEAD' ? { ...canned, bytes: Buffer.alloc(0) } : canned;
              const streamProblem = seenProblem(rec.seen[0], seen) ?? deliveredProblem({ status: prelude.statusCode, headers: prelude.headers, bytes: bytes.subarray(at + 8) }, sent, 'drop');
              if (streamProblem) bad.push(`${where} (streamed): ${streamProblem}`);
            }
          } catch (error) {
            bad.push(`${where}: threw ${String(error)}`);
          }
        }
      }
    } finally {
      vi.unstubAllGlobals();
    }
    expect(bad.slice(0, 20)).toEqual([]);
    expect(onError).not.toHaveBeenCalled();
  }, 60_000);

  describe('Cloud Functions (functions-framework over a socket)', () => {
    const servers: Server[] = [];
    let recordingUrl: URL;
    let realUrl: URL;
    const rec = recorder();
    const onError = vi.fn();
    const onRealError = vi.fn();

    async function serve(name: string, handler: HttpHandler, onError: (error: unknown) => void): Promise<URL> {
      registerGcpFunction(name, handler, { onError });
      const server = getTestServer(name);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }

    beforeAll(async () => {
      recordingUrl = await serve('adapters-fuzz-recording', rec.handler, onError);
      realUrl = await serve('adapters-fuzz-real', real, onRealError);
    });

    afterAll(async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    interface Reply {
      status: number;
      headers: Record<string, string>;
      trailers: Record<string, string>;
      bytes: Buffer;
    }

    /** Sends the client's request line, header lines and body as it would, chunked when it says so. */
    function send(url: URL, c: ClientRequest): Promise<Reply> {
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: url.hostname, port: url.port, method: c.method, path: c.query === '' ? c.path : `${c.path}?${c.query}`, headers: c.headers.flat(), setHost: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers[name] = value;
            resolve({ status: res.statusCode ?? 0, headers, trailers: res.trailers as Record<string, string>, bytes: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(c.body);
      });
    }

    /** node:http's refusal of a request past its header size, before the function runs (see the file's comment). */
    function platformRefusal(reply: Reply): boolean {
      return reply.status === 431;
    }

    /** What functions-framework hands over: the request as sent, a coded body too (its parsers never inflate it). */
    function gcpSeen(c: ClientRequest): Seen {
      return { method: c.method, path: c.path, query: c.query, headers: joinedHeaders(c.headers), body: c.body };
    }

    it('hands the gateway the path, query, headers and body the client sent, and the client gets the answer', async () => {
      const bad: string[] = [];
      let refused = 0;
      for (const [i, c] of CASES_OF_RUN.entries()) {
        if (LOG) console.log(c.label);
        const canned = CANNED[i % CANNED.length] as Canned;
        rec.canned.current = canned;
        rec.seen.length = 0;
        const reply = await send(recordingUrl, c);
        if (rec.seen.length === 0 && platformRefusal(reply)) {
          refused++;
          continue;
        }
        const { 'content-type': type, 'transfer-encoding': _te, 'content-length': _cl, date: _d, connection: _c, 'keep-alive': _k, ...rest } = reply.headers;
        const headers = type === undefined ? rest : { 'content-type': type, ...rest };
        // node's client adds `Connection: keep-alive`; the function sees it as any client's.
        const seen = rec.seen[0];
        if (seen !== undefined) delete seen.headers.connection;
        const problem = seenProblem(seen, gcpSeen(c)) ?? deliveredProblem({ status: reply.status, headers, bytes: c.method === 'HEAD' ? canned.bytes : reply.bytes, trailers: reply.trailers }, canned, c.method === 'HEAD' ? 'drop' : 'send');
        if (problem) bad.push(`${c.label} [answer ${canned.name}]: ${problem}`);
      }
      expect(bad.slice(0, 20)).toEqual([]);
      expect(onError).not.toHaveBeenCalled();
      // The fuzzer still reaches the function with most requests.
      expect(refused).toBeLessThan(CASES_OF_RUN.length / 2);
    }, 60_000);

    it('answers every request with no 5xx, errors in the door shape and no secret', async () => {
      const bad: string[] = [];
      for (const c of CASES_OF_RUN) {
        if (LOG) console.log(c.label);
        const reply = await send(realUrl, c);
        const text = reply.bytes.toString('utf8');
        if (platformRefusal(reply)) {
          if (quotesSecret(text + JSON.stringify(reply.headers))) bad.push(`${c.label}: the platform's refusal echoes a secret`);
          continue;
        }
        const problem = answerProblem(c.method, c.path, reply.status, reply.headers, text);
        if (problem) bad.push(`${c.label}: ${problem}: ${reply.status} ${reply.bytes.toString('utf8').slice(0, 200)}`);
      }
      expect(bad.slice(0, 20)).toEqual([]);
      expect(onRealError).not.toHaveBeenCalled();
    }, 60_000);
  });

  describe('Azure Functions (HttpRequest in streaming mode)', () => {
    /** The request the Functions host hands over: its URL as the platform's Request parses it, the body as a live stream in pieces. */
    function azureRequest(c: ClientRequest): { request: ReturnType<typeof streamingRequest>; seen: Seen } {
      const url = new URL(`https://gw.azurewebsites.net${c.path}${c.query === '' ? '' : `?${c.query}`}`);
      const bytes = c.body;
      const body =
        bytes === undefined
          ? null
          : new ReadableStream<Uint8Array>({
              start(controller) {
                const half = Math.floor(bytes.length / 2);
                if (half > 0) controller.enqueue(new Uint8Array(bytes.subarray(0, half)));
                controller.enqueue(new Uint8Array(bytes.subarray(half)));
                controller.close();
              },
            });
      const request = streamingRequest(url.href, c.method, c.headers.map(([n, v]) => [n, v] as [string, string]), body as never);
      return { request, seen: { method: c.method, path: url.pathname, query: url.search.slice(1), headers: joinedHeaders(c.headers), body: c.body } };
    }

    it('hands the gateway what the host passed, and the platform takes the answer', async () => {
      const rec = recorder();
      const azure = createAzureHandler(rec.handler);
      const azureReal = createAzureHandler(real);
      const bad: string[] = [];
      for (const [i, c] of CASES_OF_RUN.entries()) {
        if (LOG) console.log(c.label);
        const canned = CANNED[(i + 3) % CANNED.length] as Canned;
        rec.canned.current = canned;
        rec.seen.length = 0;
        try {
          const { request, seen } = azureRequest(c);
          const { context, logs } = recordingContext();
          const response = asPlatformResponse(await azure(request, context));
          const headers = Object.fromEntries(response.headers);
          const problem = seenProblem(rec.seen[0], seen) ?? deliveredProblem({ status: response.status, headers, bytes: Buffer.from(await response.arrayBuffer()) }, canned, 'drop');
          if (problem) bad.push(`${c.label} [answer ${canned.name}]: ${problem}`);
          const again = azureRequest(c);
          const answer = asPlatformResponse(await azureReal(again.request, context));
          const text = Buffer.from(await answer.arrayBuffer()).toString('utf8');
          const realProblem = answerProblem(c.method, again.seen.path, answer.status, Object.fromEntries(answer.headers), text);
          if (realProblem) bad.push(`${c.label} (gateway): ${realProblem}: ${answer.status} ${text.slice(0, 200)}`);
          if (logs.length > 0) bad.push(`${c.label}: logged ${logs[0]?.text}`);
        } catch (error) {
          bad.push(`${c.label}: threw ${String(error)}`);
        }
      }
      expect(bad.slice(0, 20)).toEqual([]);
    }, 60_000);
  });
});
