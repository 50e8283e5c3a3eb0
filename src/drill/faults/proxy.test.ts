import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { FaultProxy } from './proxy.js';

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
});
