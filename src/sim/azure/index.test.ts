import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureSim } from './index.js';
import type { SimServer } from '../server.js';

/** Wire behaviour the SDKs cannot show: api-version rules and credential checks, in Azure's shapes. */

let sim: SimServer;
beforeAll(async () => {
  sim = await startAzureSim({ apiKey: 'k1', acceptToken: (t) => t === 'good-token' });
});
afterAll(() => sim.close());

const chatBody = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
const post = (path: string, headers: Record<string, string>): Promise<Response> =>
  fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: chatBody });

describe('azure simulator wire rules', () => {
  it('answers 404 Resource not found when a deployment URL has no api-version', async () => {
    const res = await post('/openai/deployments/gpt-4o/chat/completions', { 'api-key': 'k1' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });

  it('answers 400 for a malformed api-version', async () => {
    const res = await post('/openai/deployments/gpt-4o/chat/completions?api-version=latest', { 'api-key': 'k1' });
    expect(res.status).toBe(400);
  });

  it('answers 401 in Azure shape without a credential, with a wrong key or a wrong bearer', async () => {
    const attempts: Array<Record<string, string>> = [{}, { 'api-key': 'wrong' }, { authorization: 'Bearer forged' }];
    for (const headers of attempts) {
      const res = await post('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('401');
    }
  });

  it('accepts the Entra bearer on deployment URLs but not the resource key as a bearer', async () => {
    expect((await post('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', { authorization: 'Bearer good-token' })).status).toBe(200);
    expect((await post('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', { authorization: 'Bearer k1' })).status).toBe(401);
    expect((await post('/openai/v1/chat/completions', { authorization: 'Bearer k1' })).status).toBe(404); // no model: no deployment
  });

  it('sends x-ratelimit-remaining headers that count down', async () => {
    const a = await post('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', { 'api-key': 'k1' });
    const b = await post('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', { 'api-key': 'k1' });
    const ra = Number(a.headers.get('x-ratelimit-remaining-requests'));
    const rb = Number(b.headers.get('x-ratelimit-remaining-requests'));
    // Equal only when a minute boundary fell between the two calls (the window restarts).
    expect(rb === ra - 1 || rb === 999).toBe(true);
    expect(Number(b.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(150_000);
  });
});
