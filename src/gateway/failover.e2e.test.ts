import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { request } from 'undici';
import { resolveConfig } from '../config/load.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { statusRoute } from '../http/status-route.js';
import { createGateway, type GatewayStatus } from './gateway.js';

/**
 * End to end through the real server, the OpenAI simulator and the official SDK (no SDK retries):
 * the primary answers 503 for a window under steady load; clients must see no error, traffic must
 * move to the secondary and come back to the primary after recovery.
 */
describe('failover and failback through the server', () => {
  let primary: SimServer;
  let secondary: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    primary = await startOpenAISim({ name: 'primary' });
    secondary = await startOpenAISim({ name: 'secondary' });
    const config = resolveConfig(
      {
        routing: {
          max_attempts_per_deployment: 2,
          attempt_timeout_ms: 2_000,
          backoff: { base_ms: 5, cap_ms: 20 },
          breaker: { consecutive_failures: 3, cool_off_ms: 150, max_cool_off_ms: 300 },
          failback: { ramp_ms: 400, start_share: 0.2 },
        },
        deployments: [
          { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${primary.url}/v1` },
          { id: 'secondary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${secondary.url}/v1` },
        ],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary', 'secondary'] }],
      },
      {},
    );
    server = await startServer(createGateway(config), { port: 0, routes: [statusRoute] });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all([primary.close(), secondary.close()]);
  });

  it('serves every request while the primary returns 503, then moves traffic back', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const served: Array<{ at: number; by: string }> = [];
    const errors: unknown[] = [];
    const start = Date.now();
    const OUTAGE_MS = 900;
    // Windows count from when the fault begins, not from the start: on a loaded machine the first
    // answers may take longer than any fixed lead-in.
    let outageFrom = Number.POSITIVE_INFINITY;
    const runMs = (): number => outageFrom + OUTAGE_MS + 1_900;
    const worker = async (): Promise<void> => {
      while (Date.now() - start < runMs()) {
        try {
          const { response, data } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
          if (!data.choices[0]?.message.content) throw new Error('empty answer');
          served.push({ at: Date.now() - start, by: response.headers.get('x-switchyard-deployment') ?? '?' });
        } catch (err) {
          errors.push(err);
        }
      }
    };
    const outage = (async () => {
      while (served.length < 12) await new Promise((r) => setTimeout(r, 10));
      outageFrom = Date.now() - start;
      primary.faults.add({ status: 503, duration_ms: OUTAGE_MS });
    })();
    await Promise.all([outage, worker(), worker(), worker(), worker()]);

    const share = (from: number, to: number): { n: number; primary: number } => {
      const inWindow = served.filter((s) => s.at >= from && s.at < to);
      return { n: inWindow.length, primary: inWindow.filter((s) => s.by === 'primary').length / Math.max(1, inWindow.length) };
    };
    expect(errors).toEqual([]);
    const before = share(0, outageFrom);
    const during = share(outageFrom + 100, outageFrom + OUTAGE_MS);
    const after = share(runMs() - 400, runMs() + 1_000);
    expect(before.primary).toBe(1);
    expect(during.n).toBeGreaterThan(20);
    // Only half-open trials reach the primary during the outage, and those fail over.
    expect(during.primary).toBe(0);
    expect(after.n).toBeGreaterThan(20);
    expect(after.primary).toBe(1);
    expect(primary.stats.total).toBeGreaterThan(served.filter((s) => s.by === 'primary').length);

    const res = await request(`${server.url}/v1/switchyard/status`);
    expect(res.statusCode).toBe(200);
    const status = (await res.body.json()) as GatewayStatus;
    const p = status.deployments.find((d) => d.id === 'primary');
    expect(p?.errors.unavailable).toBeGreaterThanOrEqual(3);
    expect(p?.breaker.state).toBe('closed');
    expect(p?.breaker.trips).toBeGreaterThanOrEqual(1);
    expect(p?.latencyMs?.p99).toBeGreaterThanOrEqual(p?.latencyMs?.p50 ?? 0);
    expect(status.deployments.find((d) => d.id === 'secondary')?.successes).toBeGreaterThan(20);
  });
});

/**
 * The primary answers 429 with retry-after: 1 for a while. A rate limit is no outage: the throttled
 * deployment is left alone for exactly its retry-after (one upstream call in that window), requests
 * go to the secondary at once, and the primary serves again as soon as the wait is over.
 */
describe('a throttled primary through the server', () => {
  let primary: SimServer;
  let secondary: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    primary = await startOpenAISim({ name: 'primary' });
    secondary = await startOpenAISim({ name: 'secondary' });
    const config = resolveConfig(
      {
        routing: { max_attempts_per_deployment: 2, attempt_timeout_ms: 2_000, breaker: { consecutive_failures: 2, cool_off_ms: 5_000 } },
        deployments: [
          { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${primary.url}/v1` },
          { id: 'secondary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${secondary.url}/v1` },
        ],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary', 'secondary'] }],
      },
      {},
    );
    server = await startServer(createGateway(config), { port: 0, routes: [statusRoute] });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all([primary.close(), secondary.close()]);
  });

  it('calls the primary once in the retry-after window, serves every client from the secondary, then returns', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const errors: unknown[] = [];
    const ask = async (): Promise<string> => {
      const { response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
      return response.headers.get('x-switchyard-deployment') ?? '?';
    };
    expect(await ask()).toBe('primary');
    primary.faults.add({ status: 429, retry_after_s: 1, duration_ms: 900 });
    const before = primary.stats.total;
    const throttledAt = Date.now();
    // The request that meets the 429 falls over at once instead of sleeping a second: a bound the sleep
    // would pass, not a speed (a few ms idle).
    expect(await ask()).toBe('secondary');
    expect(Date.now() - throttledAt).toBeLessThan(1_000);
    const servedInWindow: string[] = [];
    const worker = async (): Promise<void> => {
      while (Date.now() - throttledAt < 900) servedInWindow.push(await ask().catch((err: unknown) => (errors.push(err), 'error')));
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(errors).toEqual([]);
    // Each worker asked at least once inside the window (how many more is the machine's speed).
    expect(servedInWindow.length).toBeGreaterThanOrEqual(4);
    expect(new Set(servedInWindow)).toEqual(new Set(['secondary']));
    expect(primary.stats.total - before).toBe(1);
    await new Promise((r) => setTimeout(r, Math.max(0, throttledAt + 1_050 - Date.now())));
    expect(await ask()).toBe('primary');

    const res = await request(`${server.url}/v1/switchyard/status`);
    const status = (await res.body.json()) as GatewayStatus;
    const p = status.deployments.find((d) => d.id === 'primary');
    expect(p?.errors.rate_limited).toBe(1);
    // A rate limit is no health verdict: the breaker never opened.
    expect(p?.breaker).toMatchObject({ state: 'closed', trips: 0 });
  });
});
