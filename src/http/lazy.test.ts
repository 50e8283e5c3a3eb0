import { describe, expect, it } from 'vitest';
import type { HttpHandler, HttpRequest } from './exchange.js';
import { lazyHandler } from './lazy.js';

const request = { method: 'GET', path: '/v1/models', query: '', headers: {}, body: undefined, signal: new AbortController().signal } satisfies HttpRequest;
const answer: HttpHandler = async () => ({ status: 200, headers: {}, body: '{}' });

describe('lazyHandler', () => {
  it('creates the handler on the first request only, even when requests arrive together', async () => {
    let created = 0;
    const handler = lazyHandler(async () => {
      created++;
      return answer;
    });
    expect(created).toBe(0);
    await Promise.all([handler(request), handler(request)]);
    await handler(request);
    expect(created).toBe(1);
  });

  it('tries again on the next request after a failed creation', async () => {
    let attempts = 0;
    const handler = lazyHandler(async () => {
      attempts++;
      if (attempts === 1) throw new Error('config file missing');
      return answer;
    });
    await expect(handler(request)).rejects.toThrow('config file missing');
    await expect(handler(request)).resolves.toMatchObject({ status: 200 });
    expect(attempts).toBe(2);
  });
});
