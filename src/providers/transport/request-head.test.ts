import { describe, expect, it } from 'vitest';
import { InvalidRequestHeaderError, requestHead } from './request-head.js';

const url = new URL('https://example.test:8443/v1/chat/completions?api-version=1');

describe('requestHead', () => {
  it('writes the request line, the host, the headers in order and the body length', () => {
    expect(requestHead({ url, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: '{}' }, 2)).toBe(
      'POST /v1/chat/completions?api-version=1 HTTP/1.1\r\nhost: example.test:8443\r\ncontent-type: application/json\r\nauthorization: Bearer k\r\ncontent-length: 2\r\n\r\n',
    );
  });

  it('sends no content-length for a GET without a body', () => {
    expect(requestHead({ url: new URL('http://127.0.0.1/v1/models'), method: 'GET', headers: {} }, 0)).toBe('GET /v1/models HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
  });

  it('keeps the host a signature was computed over', () => {
    const head = requestHead({ url, method: 'POST', headers: { Host: 'signed.example.test' }, body: '' }, 0);
    expect(head).toContain('\r\nhost: signed.example.test\r\n');
    expect(head.match(/host:/gi)).toHaveLength(1);
  });

  const refused: Array<[string, Record<string, string>]> = [
    ['a CR/LF in a value (request splitting)', { 'x-a': 'v\r\nx-injected: 1' }],
    ['a bare LF in a value', { 'x-a': 'v\nx' }],
    ['a NUL in a value', { 'x-a': 'v\0' }],
    ['a non-ASCII value', { 'x-a': 'café' }],
    ['a name with a space', { 'x a': 'v' }],
    ['a name with a colon', { 'x:a': 'v' }],
    ['a content-length of its own', { 'Content-Length': '5' }],
    ['a transfer-encoding', { 'transfer-encoding': 'chunked' }],
    ['a connection header', { connection: 'upgrade' }],
    ['an upgrade header', { upgrade: 'websocket' }],
    ['an expect header', { expect: '100-continue' }],
  ];
  for (const [name, headers] of refused) {
    it(`refuses ${name}`, () => {
      expect(() => requestHead({ url, method: 'POST', headers, body: '' }, 0)).toThrow(InvalidRequestHeaderError);
    });
  }
});
