import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { anthropicShapeProblem, openAIShapeProblem } from '../../ingress/testing/error-shapes.js';
import { createLambdaHandler, createStreamingLambdaHandler } from './handler.js';
import type { LambdaHttpEvent } from './request.js';
import type { ResponseStream } from './runtime.js';
import { RecordingResponseStream, fakeAwslambda, fakeContext } from './testing/fake-runtime.js';
import { fixture } from './testing/fixtures.js';
import { jsonHandler, recordingHandler } from './testing/handlers.js';

// An invocation can carry any JSON: a console test event, a direct Invoke, another trigger wired to the
// function. Whatever the shape, the client gets a 400 in the door's error shape and the log names the
// field at fault, never the event's content (which holds keys and prompts).

const CANARY = 'sk-canary-event-0123456789abcdef';

type Mutable = Record<string, unknown> & { requestContext: Record<string, unknown> };
const v2 = (name: 'http-api-v2' | 'function-url' = 'http-api-v2'): Mutable => ({ ...fixture(name), headers: { authorization: `Bearer ${CANARY}` } }) as unknown as Mutable;
const rest = (): Mutable => fixture('rest-api-v1') as unknown as Mutable;
const alb = (): Mutable => fixture('alb') as unknown as Mutable;

function without(event: Mutable, key: string): Mutable {
  const { [key]: _dropped, ...kept } = event;
  return kept as Mutable;
}

const MALFORMED: ReadonlyArray<readonly [string, () => unknown, string]> = [
  ['a null event', () => null, 'the event is not an object'],
  ['a string event', () => CANARY, 'the event is not an object'],
  ['a list event', () => [v2()], 'the event is not an object'],
  ['an HTTP API event without requestContext', () => without(v2(), 'requestContext'), 'requestContext is not an object'],
  ['an HTTP API event without requestContext.http', () => ({ ...v2(), requestContext: without(v2().requestContext as Mutable, 'http') }), 'requestContext.http is not an object'],
  ['an HTTP API event whose method is a number', () => ({ ...v2(), requestContext: { ...v2().requestContext, http: { method: 7, sourceIp: '203.0.113.9' } } }), 'requestContext.http.method is not a method name'],
  ['an HTTP API event whose sourceIp is an object', () => ({ ...v2(), requestContext: { ...v2().requestContext, http: { method: 'POST', sourceIp: {} } } }), 'requestContext.http.sourceIp is not a string'],
  ['an HTTP API event without a stage', () => ({ ...v2(), requestContext: without(v2().requestContext as Mutable, 'stage') }), 'requestContext.stage is not a string'],
  ['an HTTP API event without rawPath', () => without(v2(), 'rawPath'), 'rawPath is not a path'],
  ['an HTTP API event whose rawPath is relative', () => ({ ...v2(), rawPath: 'v1/chat/completions' }), 'rawPath is not a path'],
  ['an HTTP API event without rawQueryString', () => without(v2(), 'rawQueryString'), 'rawQueryString is not a string'],
  ['an HTTP API event whose headers are a string', () => ({ ...v2(), headers: `authorization: Bearer ${CANARY}` }), 'headers is not an object'],
  ['an HTTP API event without headers', () => without(v2(), 'headers'), 'headers is not an object'],
  ['an HTTP API event with a header value that is a list', () => ({ ...v2(), headers: { authorization: [CANARY] } }), 'a value of headers is not a string'],
  ['a Function URL event whose cookies are a string', () => ({ ...v2('function-url'), cookies: `session=${CANARY}` }), 'cookies is not a list of strings'],
  ['a Function URL event whose body is an object', () => ({ ...v2('function-url'), body: { model: CANARY } }), 'body is not a string'],
  ['a Function URL event whose isBase64Encoded is a string', () => ({ ...v2('function-url'), isBase64Encoded: 'true' }), 'isBase64Encoded is not a boolean'],
  ['a Function URL event with a base64 body of characters base64 lacks', () => ({ ...v2('function-url'), body: `*${CANARY}*=%`, isBase64Encoded: true }), 'body is not valid base64'],
  ['a Function URL event with a base64 body cut short', () => ({ ...v2('function-url'), body: 'eyJtb2RlbCI', isBase64Encoded: true }), 'body is not valid base64'],
  ['a Function URL event with base64 padding inside the body', () => ({ ...v2('function-url'), body: 'eyJ9=Q==', isBase64Encoded: true }), 'body is not valid base64'],
  ['a Function URL event with base64 padding followed by data', () => ({ ...v2('function-url'), body: 'eyJ9QU=Q', isBase64Encoded: true }), 'body is not valid base64'],
  ['a Function URL event with three padding characters', () => ({ ...v2('function-url'), body: 'eyJ9Q===', isBase64Encoded: true }), 'body is not valid base64'],
  ['a REST API event without httpMethod', () => without(rest(), 'httpMethod'), 'httpMethod is not a method name'],
  ['a REST API event without path', () => without(rest(), 'path'), 'path is not a path'],
  ['a REST API event whose multiValueHeaders hold a string', () => ({ ...rest(), multiValueHeaders: { authorization: `Bearer ${CANARY}` } }), 'a value of multiValueHeaders is not a list of strings'],
  ['a REST API event whose query parameters are a list', () => ({ ...rest(), queryStringParameters: ['a'] }), 'queryStringParameters is not an object'],
  ['a REST API event whose identity is a string', () => ({ ...rest(), requestContext: { ...rest().requestContext, identity: CANARY } }), 'requestContext.identity is not an object'],
  ['a REST API event whose body is a number', () => ({ ...rest(), body: 42 }), 'body is not a string'],
  ['an ALB event with invalid base64', () => ({ ...alb(), body: `${CANARY}!`, isBase64Encoded: true }), 'body is not valid base64'],
  ['an ALB event whose headers are a number', () => ({ ...alb(), headers: 1 }), 'headers is not an object'],
];

let logged: string[];

beforeEach(() => {
  logged = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (logged.push(String(chunk)), true));
  vi.stubGlobal('awslambda', fakeAwslambda);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('a malformed Lambda event', () => {
  for (const [name, event, problem] of MALFORMED) {
    it(`answers ${name} with a 400 naming the field, the handler never called, logged without its content`, async () => {
      const handler = recordingHandler({ status: 200, headers: {}, body: '' });
      const result = await createLambdaHandler(handler)(event() as LambdaHttpEvent, fakeContext());
      expect(result.statusCode).toBe(400);
      const body = JSON.parse(result.body ?? '') as unknown;
      expect(openAIShapeProblem(body)).toBeUndefined();
      expect(body).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_event', message: `The request could not be read: its Lambda event is malformed (${problem}).` } });
      expect(handler.requests).toEqual([]);
      expect(logged.map((line) => JSON.parse(line) as unknown)).toEqual([{ level: 'WARN', message: `switchyard aws-lambda adapter: refused a malformed event: ${problem}` }]);
      expect(result.body + logged.join('')).not.toContain(CANARY);
    });
  }

  it('streams the 400 through a Function URL in RESPONSE_STREAM mode rather than failing the invocation', async () => {
    const stream = new RecordingResponseStream();
    await createStreamingLambdaHandler(jsonHandler)(without(v2('function-url'), 'rawPath') as never, stream as unknown as ResponseStream, fakeContext());
    const { prelude, body } = stream.decode();
    expect(prelude).toEqual({ statusCode: 400, headers: expect.objectContaining({ 'content-type': expect.stringMatching(/^application\/json/) as unknown }) as unknown });
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'invalid_event', message: expect.stringContaining('rawPath is not a path') as unknown } });
  });

  it("answers in the shape of the door the event's path names (Anthropic's for /v1/messages)", async () => {
    const result = await createLambdaHandler(jsonHandler)({ ...v2(), rawPath: '/v1/messages', headers: 'x' } as never, fakeContext());
    expect(result.statusCode).toBe(400);
    expect(anthropicShapeProblem(JSON.parse(result.body ?? ''))).toBeUndefined();
  });

  it("answers a malformed ALB event in the ALB's result shape, with multi-value headers when it sent them", async () => {
    const result = await createLambdaHandler(jsonHandler)({ ...alb(), body: 7 } as never, fakeContext());
    expect(result).toMatchObject({ statusCode: 400, statusDescription: '400 Bad Request', multiValueHeaders: { 'content-type': [expect.stringMatching(/^application\/json/)] } });
  });

  it('still serves a base64 body AWS wrote, padding and all, and a REST API request without headers', async () => {
    const handler = recordingHandler({ status: 204, headers: {}, body: '' });
    const lambda = createLambdaHandler(handler);
    for (const body of ['e30=', 'e30K', 'eyJhIjoxfQ==', '']) {
      expect((await lambda({ ...fixture('function-url'), body, isBase64Encoded: true }, fakeContext())).statusCode).toBe(204);
    }
    expect((await lambda({ ...fixture('rest-api-v1'), headers: null, multiValueHeaders: null, body: null } as never, fakeContext())).statusCode).toBe(204);
    expect(handler.requests.map((r) => r.body && Buffer.from(r.body as Uint8Array).toString('utf8'))).toEqual(['{}', '{}\n', '{"a":1}', '', undefined]);
    expect(logged).toEqual([]);
  });
});
