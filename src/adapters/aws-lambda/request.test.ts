import { describe, expect, it } from 'vitest';
import { toHttpRequest, type LambdaHttpEvent } from './request.js';
import { base64Body, fixture } from './testing/fixtures.js';

const BODY = '{"model":"default","messages":[{"role":"user","content":"Grüß dich"}],"stream":true}';
const signal = new AbortController().signal;
const text = (body: unknown): string => Buffer.from(body as Uint8Array).toString('utf8');

const cases: { name: string; event: () => LambdaHttpEvent; query: string; headers: Record<string, string>; remote: string; httpVersion: string | undefined }[] = [
  {
    name: 'HTTP API (payload 2.0)',
    event: () => fixture('http-api-v2'),
    query: 'tag=a&tag=b%20c',
    headers: { accept: 'text/event-stream', cookie: 'session=abc; theme=dark' },
    remote: '203.0.113.9',
    httpVersion: 'HTTP/1.1',
  },
  {
    name: 'Function URL',
    event: () => fixture('function-url'),
    query: '',
    headers: { accept: 'text/event-stream', cookie: 'session=abc' },
    remote: '203.0.113.9',
    httpVersion: 'HTTP/1.1',
  },
  {
    name: 'REST API (payload 1.0)',
    event: () => fixture('rest-api-v1'),
    query: 'tag=a&tag=b%20c',
    headers: { accept: 'text/event-stream, application/json', 'x-forwarded-for': '203.0.113.9, 198.51.100.7' },
    remote: '198.51.100.7',
    httpVersion: 'HTTP/1.1',
  },
  {
    name: 'ALB with multi-value headers',
    event: () => fixture('alb'),
    query: 'tag=a&tag=b%20c',
    headers: { accept: 'text/event-stream', cookie: 'session=abc; theme=dark' },
    remote: '203.0.113.9',
    // An ALB's event does not say which HTTP version its client spoke.
    httpVersion: undefined,
  },
];

describe('toHttpRequest', () => {
  for (const c of cases) {
    it(`translates a ${c.name} event`, () => {
      const request = toHttpRequest(c.event(), signal);
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.query).toBe(c.query);
      expect(request.headers).toMatchObject({ ...c.headers, authorization: 'Bearer sk-test', 'content-type': 'application/json' });
      expect(text(request.body)).toBe(BODY);
      expect(request.remoteAddress).toBe(c.remote);
      expect(request.scheme).toBe('https');
      expect(request.httpVersion).toBe(c.httpVersion);
      expect(request.signal).toBe(signal);
    });

    it(`decodes a base64 body of a ${c.name} event to the same bytes`, () => {
      const request = toHttpRequest(base64Body(c.event()), signal);
      expect(text(request.body)).toBe(BODY);
    });
  }

  it("takes an ALB's HTTP listener as http, from the x-forwarded-proto the ALB sets, and nothing else does", () => {
    const alb = fixture('alb');
    expect(toHttpRequest({ ...alb, multiValueHeaders: { ...alb.multiValueHeaders, 'x-forwarded-proto': ['http'] } }, signal).scheme).toBe('http');
    // An HTTP API takes only HTTPS, whatever a client writes in the header.
    const v2 = fixture('http-api-v2');
    expect(toHttpRequest({ ...v2, headers: { ...v2.headers, 'x-forwarded-proto': 'http' } }, signal).scheme).toBe('https');
  });

  it('lower-cases header names of REST API events', () => {
    const headers = toHttpRequest(fixture('rest-api-v1'), signal).headers;
    expect(Object.keys(headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('reads single-value headers and query of an ALB without multi-value headers, keeping the query encoded', () => {
    const { multiValueHeaders: _h, multiValueQueryStringParameters: _q, ...alb } = fixture('alb');
    const request = toHttpRequest({ ...alb, headers: { Accept: 'text/event-stream', 'x-forwarded-for': '203.0.113.9' }, queryStringParameters: { q: 'b%20c' } }, signal);
    expect(request.headers).toEqual({ accept: 'text/event-stream', 'x-forwarded-for': '203.0.113.9' });
    expect(request.query).toBe('q=b%20c');
  });

  it('keeps headers named like properties every object has (constructor, toString) as the client sent them', () => {
    const sent = { constructor: ['c'], toString: ['t'], hasOwnProperty: ['h'] };
    const rest = { ...fixture('rest-api-v1'), multiValueHeaders: sent };
    expect(toHttpRequest(rest, signal).headers).toEqual({ constructor: 'c', tostring: 't', hasownproperty: 'h' });
    const v2 = { ...fixture('http-api-v2'), headers: { constructor: 'c', valueOf: 'v' } };
    expect(toHttpRequest(v2, signal).headers).toMatchObject({ constructor: 'c', valueof: 'v' });
  });

  it('encodes the decoded query values of a REST API event', () => {
    const event = { ...fixture('rest-api-v1'), multiValueQueryStringParameters: { 'api-version': ['2024-10-21'], q: ['a&b=c'] } };
    expect(toHttpRequest(event, signal).query).toBe('api-version=2024-10-21&q=a%26b%3Dc');
  });

  it('encodes a decoded REST API query value holding a lone surrogate as U+FFFD rather than fail the invocation', () => {
    const event = { ...fixture('rest-api-v1'), queryStringParameters: { 'k\ud800': 'a\udc00b' }, multiValueQueryStringParameters: { 'k\ud800': ['a\udc00b', '\ud83d\ude00'] } };
    expect(toHttpRequest(event, signal).query).toBe('k%EF%BF%BD=a%EF%BF%BDb&k%EF%BF%BD=%F0%9F%98%80');
  });

  it('routes an HTTP API path on its execute-api domain without its named stage, and keeps the path sent for the span', () => {
    const event = fixture('http-api-v2');
    event.requestContext.stage = 'prod';
    event.rawPath = '/prod/v1/chat/completions';
    expect(toHttpRequest(event, signal)).toMatchObject({ path: '/v1/chat/completions', originalPath: '/prod/v1/chat/completions' });
  });

  it("keeps a REST API's path with its stage, as the client sent it, beside the path it routes on", () => {
    expect(toHttpRequest(fixture('rest-api-v1'), signal)).toMatchObject({ path: '/v1/chat/completions', originalPath: '/prod/v1/chat/completions' });
  });

  it("takes an ALB's path as sent: there is no other", () => {
    expect(toHttpRequest(fixture('alb'), signal)).toMatchObject({ path: '/v1/chat/completions', originalPath: undefined });
  });

  it('keeps the path behind a custom domain, where no stage is prefixed', () => {
    const event = fixture('http-api-v2');
    event.requestContext.stage = 'v1';
    event.requestContext.domainName = 'llm.example.com';
    event.requestContext.domainPrefix = 'llm';
    expect(toHttpRequest(event, signal).path).toBe('/v1/chat/completions');
  });

  it('has no body when the event carries none', () => {
    const event = { ...fixture('rest-api-v1'), httpMethod: 'GET', body: null };
    expect(toHttpRequest(event, signal).body).toBeUndefined();
  });
});
