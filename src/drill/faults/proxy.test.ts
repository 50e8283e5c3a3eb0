import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { FaultProxy, sseCutOffset } from './proxy.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function proxied(): Promise<{ sim: SimServer; proxy: FaultProxy }> {
  const sim = await startOpenAISim({ models: ['m'] });
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: sim.port });
  open.push(proxy, sim);
  return { sim, proxy };
}

const models = (url: string, timeoutMs = 2_000) => request(`${url}/v1/models`, { reset: true, headersTimeout: timeoutMs });

describe('drill fault proxy', () => {
  it('passes requests through to the upstream when no fault is set', async () => {
    const { sim, proxy } = await proxied();
    const res = await models(proxy.url);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(sim.stats.total).toBe(1);
  });

  it('answers with the injected status and retry-after, without reaching the upstream', async () => {
    const { sim, proxy } = await proxied();
    proxy.set({ status: 429, retry_after_s: 3 });
    const res = await models(proxy.url);
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('3');
    await res.body.dump();
    expect(sim.stats.total).toBe(0);
  });

  it('resets connections when refusing, and never answers when blackholing', async () => {
    const { proxy } = await proxied();
    proxy.set({ refuse: true });
    await expect(models(proxy.url)).rejects.toThrow();
    proxy.set({ blackhole: true });
    await expect(models(proxy.url, 300)).rejects.toThrow(/timeout/i);
    proxy.set(undefined);
    expect((await models(proxy.url)).statusCode).toBe(200);
  });

  it('delays the connection by the injected latency', async () => {
    const { proxy } = await proxied();
    proxy.set({ latency_ms: 250 });
    const started = Date.now();
    const res = await models(proxy.url);
    await res.body.dump();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('cuts a streamed answer after N server-sent events, leaving the client a broken body', async () => {
    const { proxy } = await proxied();
    proxy.set({ cut_after_chunks: 2 });
    const res = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      reset: true,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'tell me a rather long story please' }] }),
    });
    expect(res.statusCode).toBe(200);
    let received = '';
    await expect(
      (async () => {
        for await (const chunk of res.body) received += (chunk as Buffer).toString('utf8');
      })(),
    ).rejects.toThrow();
    expect(received.match(/^data: /gm)).toHaveLength(2);
    expect(received).not.toContain('[DONE]');
  });

  it('finds the end of the Nth event across chunk boundaries, after the headers', () => {
    const state = { inBody: false, events: 0, carry: '' };
    expect(sseCutOffset(state, Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r'), 2)).toBeUndefined();
    expect(sseCutOffset(state, Buffer.from('\ndata: 1\n'), 2)).toBeUndefined();
    expect(sseCutOffset(state, Buffer.from('\ndata: 2\n\ndata: 3\n\n'), 2)).toBe('\ndata: 2\n\n'.length);
  });
});
