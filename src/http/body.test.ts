import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { HttpRequest } from './exchange.js';
import { MAX_JSON_DEPTH } from '../core/json.js';
import { parseJson, readBody } from './body.js';

const nest = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('JSON nesting depth', () => {
  it('refuses a body nested deeper than the cap with a 400 before parsing it', () => {
    const err = (() => {
      try {
        parseJson(Buffer.from(`{"model":"m","messages":${nest(100_000)}}`));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(GatewayError.isInstance(err) && err.status === 400 && err.code === 'invalid_json').toBe(true);
    expect((err as Error).message).toContain(String(MAX_JSON_DEPTH));
    expect(parseJson(Buffer.from(nest(MAX_JSON_DEPTH)))).toBeInstanceOf(Array);
  });
});

describe('reading a body sent with a content coding', () => {
  const request = (body: HttpRequest['body'], coding: string): HttpRequest => ({ method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-encoding': coding }, body, signal: new AbortController().signal });
  const refusal = (read: Promise<unknown>): Promise<unknown> => read.then(() => undefined, (e: unknown) => (GatewayError.isInstance(e) ? { status: e.status, code: e.code, headers: e.headers } : e));

  it('refuses buffered bytes with 415 and Accept-Encoding: identity, whatever the runtime', async () => {
    expect(await refusal(readBody(request(Buffer.from('x'), ' GZip '), 100, 1_000))).toEqual({ status: 415, code: 'unsupported_content_encoding', headers: { 'accept-encoding': 'identity' } });
  });

  it("refuses a streamed body only once the runtime's reader has read it, so a client still sending reads the answer", async () => {
    let read = false;
    const reader = (): Promise<Uint8Array> => Promise.resolve(Buffer.from('x')).finally(() => (read = true));
    expect(await refusal(readBody(request(reader, 'br'), 100, 1_000))).toMatchObject({ status: 415 });
    expect(read).toBe(true);
  });

  it('still answers a body over the limit with 413', async () => {
    expect(await refusal(readBody(request(Buffer.alloc(200), 'gzip'), 100, 1_000))).toMatchObject({ status: 413 });
  });

  it('takes identity as no coding', async () => {
    expect(await readBody(request(Buffer.from('{}'), 'identity'), 100, 1_000)).toEqual(Buffer.from('{}'));
  });
});
