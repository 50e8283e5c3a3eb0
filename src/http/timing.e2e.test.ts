import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { resolveConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway } from '../gateway/gateway.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';

/** What the client says: it must never reach the access line. */
const PROMPT = 'the-prompt-canary-7c1e';
/** What the simulators add before answering: upstream time the gateway must not count as its own. */
const UPSTREAM_MS = 120;

type Line = Record<string, unknown>;

/**
 * The access line's timing through the real server, the OpenAI simulators and the official SDK: where
 * a request's time went (the upstream's or the gateway's), and the opt-in `Server-Timing` header.
 */
describe('where a request spent its time', () => {
  let primary: SimServer;
  let secondary: SimServer;
  const servers: RunningServer[] = [];
  const lines: Line[] = [];
  let plain: OpenAI;
  let timed: OpenAI;

  async function serve(server: Record<string, unknown>): Promise<OpenAI> {
    const config = resolveConfig(
      {
        server,
        routing: { max_attempts_per_deployment: 1, backoff: { base_ms: 1, cap_ms: 1 } },
        deployments: [
          { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${primary.url}/v1` },
          { id: 'secondary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${secondary.url}/v1` },
        ],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary', 'secondary'] }],
      },
      {},
    );
    const accessLogger: Logger = { ...silentLogger, info: (obj) => void lines.push(obj as Line) };
    const running = await startServer(createGateway(config), { port: 0, host: '127.0.0.1', accessLogger });
    servers.push(running);
    return new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  }

  /** The access line of the one request sent since the last reset: written once the answer is out. */
  async function accessLine(): Promise<Line> {
    for (let i = 0; i < 200 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(lines).toHaveLength(1);
    const line = lines[0] as Line;
    expect(JSON.stringify(line)).not.toContain(PROMPT);
    return line;
  }

  /** `ms` is all of it: the upstream's share and the gateway's add up to it (clocks of ms resolution, so within 2 ms an attempt). */
  function addsUp(line: Line, upstreamTotal: number, attempts: number): void {
    const gatewayMs = line.gatewayMs as number;
    expect(gatewayMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs((line.ms as number) - upstreamTotal - gatewayMs)).toBeLessThanOrEqual(2 * attempts);
  }

  const ask = { model: 'chat', messages: [{ role: 'user' as const, content: PROMPT }] };

  beforeAll(async () => {
    primary = await startOpenAISim({ name: 'primary' });
    secondary = await startOpenAISim({ name: 'secondary' });
    plain = await serve({});
    timed = await serve({ server_timing: true });
  });

  beforeEach(() => {
    lines.length = 0;
    primary.faults.clear();
    secondary.faults.clear();
  });

  afterAll(async () => {
    for (const s of servers) await s.shutdown(100);
    await Promise.all([primary.close(), secondary.close()]);
  });

  it('writes a JSON answer with its group and the upstream time of its attempt, the rest being the gateway\'s', async () => {
    primary.faults.add({ latency_ms: UPSTREAM_MS });
    const { response } = await plain.chat.completions.create(ask).withResponse();
    const line = await accessLine();
    expect(line).toMatchObject({ status: 200, group: 'chat', deployment: 'primary', attempts: 1 });
    expect(line.stream).toBeUndefined();
    expect(line.ttftMs).toBeUndefined();
    expect(line.upstreamMs).toBeGreaterThanOrEqual(UPSTREAM_MS);
    addsUp(line, line.upstreamMs as number, 1);
    expect(response.headers.get('server-timing'), 'off by default: it tells clients the upstream\'s timing').toBeNull();
  });

  it('writes a streamed answer as a stream, with its upstream time to first content and to its end', async () => {
    primary.faults.add({ ttft_ms: UPSTREAM_MS });
    const { data: stream, response } = await plain.chat.completions.create({ ...ask, stream: true }).withResponse();
    for await (const chunk of stream) void chunk;
    const line = await accessLine();
    expect(line).toMatchObject({ status: 200, group: 'chat', deployment: 'primary', attempts: 1, stream: true });
    expect(line.ttftMs).toBeGreaterThanOrEqual(UPSTREAM_MS);
    expect(line.upstreamMs).toBeGreaterThanOrEqual(line.ttftMs as number);
    addsUp(line, line.upstreamMs as number, 1);
    expect(response.headers.get('server-timing')).toBeNull();
  });

  it('counts a failed attempt\'s upstream time as upstream time, not the gateway\'s, after a failover', async () => {
    primary.faults.add({ status: 503, latency_ms: UPSTREAM_MS, count: 1 });
    await plain.chat.completions.create(ask);
    const line = await accessLine();
    expect(line).toMatchObject({ status: 200, group: 'chat', deployment: 'secondary', attempts: 2 });
    // The answering attempt's own time is upstreamMs; the gateway's share leaves out the failed one's too.
    expect(line.upstreamMs).toBeLessThan(UPSTREAM_MS);
    expect(line.gatewayMs).toBeLessThanOrEqual((line.ms as number) - (line.upstreamMs as number) - UPSTREAM_MS + 2);
  });

  it('writes a request every attempt of which failed with its group, the deployment tried last, and its attempts\' upstream time', async () => {
    primary.faults.add({ status: 503, latency_ms: UPSTREAM_MS, count: 1 });
    secondary.faults.add({ status: 503, latency_ms: UPSTREAM_MS, count: 1 });
    await expect(plain.chat.completions.create(ask)).rejects.toThrow();
    const line = await accessLine();
    expect(line).toMatchObject({ status: 503, group: 'chat', deployment: 'secondary', attempts: 2 });
    expect(line.upstreamMs).toBeGreaterThanOrEqual(2 * UPSTREAM_MS);
    addsUp(line, line.upstreamMs as number, 2);
  });

  it('writes a refused request without any routing or upstream fields', async () => {
    await expect(plain.chat.completions.create({ ...ask, model: 'no-such-model' })).rejects.toThrow();
    const line = await accessLine();
    expect(line.status).toBeGreaterThanOrEqual(400);
    expect(line.errorKind).toBeDefined();
    for (const field of ['group', 'stream', 'upstreamMs', 'ttftMs', 'gatewayMs', 'deployment']) expect(line[field], field).toBeUndefined();
  });

  describe('with server.server_timing', () => {
    /** The header's metrics by name, each with its duration. */
    function metrics(header: string | null): Record<string, number> {
      expect(header).not.toBeNull();
      const out: Record<string, number> = {};
      for (const metric of (header ?? '').split(', ')) {
        const match = /^([a-z-]+);dur=(\d+(?:\.\d)?)$/.exec(metric);
        expect(match, metric).not.toBeNull();
        out[match?.[1] ?? ''] = Number(match?.[2]);
      }
      return out;
    }

    it('tells a JSON answer\'s client the upstream\'s time and the gateway\'s', async () => {
      primary.faults.add({ latency_ms: UPSTREAM_MS });
      const { response } = await timed.chat.completions.create(ask).withResponse();
      const timing = metrics(response.headers.get('server-timing'));
      expect(Object.keys(timing)).toEqual(['upstream', 'gateway']);
      expect(timing.upstream).toBeGreaterThanOrEqual(UPSTREAM_MS);
      expect(timing.gateway).toBeLessThan(UPSTREAM_MS);
    });

    it('tells a stream\'s client what was known when its headers went out: the upstream\'s time to first content', async () => {
      primary.faults.add({ ttft_ms: UPSTREAM_MS });
      const { data: stream, response } = await timed.chat.completions.create({ ...ask, stream: true }).withResponse();
      for await (const chunk of stream) void chunk;
      const timing = metrics(response.headers.get('server-timing'));
      expect(Object.keys(timing)).toEqual(['upstream-ttft', 'gateway']);
      expect(timing['upstream-ttft']).toBeGreaterThanOrEqual(UPSTREAM_MS);
      expect(timing.gateway).toBeLessThan(UPSTREAM_MS);
    });

    it('tells an error answer\'s client its total time', async () => {
      const failed = await timed.chat.completions.create({ ...ask, model: 'no-such-model' }).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(OpenAI.APIError);
      const timing = metrics((failed as InstanceType<typeof OpenAI.APIError>).headers?.get('server-timing') ?? null);
      expect(Object.keys(timing)).toEqual(['total']);
    });

    it('tells a failed request\'s client its attempts\' upstream time and the gateway\'s', async () => {
      primary.faults.add({ status: 503, latency_ms: UPSTREAM_MS, count: 1 });
      secondary.faults.add({ status: 503, latency_ms: UPSTREAM_MS, count: 1 });
      const failed = await timed.chat.completions.create(ask).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(OpenAI.APIError);
      const timing = metrics((failed as InstanceType<typeof OpenAI.APIError>).headers?.get('server-timing') ?? null);
      expect(Object.keys(timing)).toEqual(['upstream', 'gateway']);
      expect(timing.upstream).toBeGreaterThanOrEqual(2 * UPSTREAM_MS);
      expect(timing.gateway).toBeLessThan(UPSTREAM_MS);
    });

    it('tells nothing to a request no caller was found for (a path no route takes, a refused key)', async () => {
      const unrouted = await fetch(`${timed.baseURL}/no-such-route`, { method: 'POST' });
      expect(unrouted.status).toBe(404);
      expect(unrouted.headers.get('server-timing')).toBeNull();
    });
  });
});
