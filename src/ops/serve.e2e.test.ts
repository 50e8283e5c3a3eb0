import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startOpenAISim } from '../sim/openai/index.js';
import { startMetadataSim } from '../sim/metadata/index.js';
import { serveProcess, writeServeConfig } from '../testing/serve-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** The config with ledger off, serving group `group`. */
const config = (dir: string, simUrl: string, group: string, extra: string[] = []): string => writeServeConfig(dir, simUrl, ['ledger: { enabled: false }', ...extra], group);

const chat = (url: string, model: string) =>
  request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });

describe('switchyard serve: interruption notices and reloads', () => {
  it('on a preemption notice: readyz goes 503 at once, the request in flight finishes, the process exits', async () => {
    const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    const meta = await startMetadataSim();
    cleanup.push(() => sim.close(), () => meta.close());
    const dir = mkdtempSync(join(tmpdir(), 'interrupt-'));
    const gw = await serveProcess(config(dir, sim.url, 'chat', [`interruption: { provider: gcp, metadata_url: "${meta.url}", poll_ms: 100 }`, 'server: { shutdown_grace_ms: 20000 }']), { cleanup });
    expect((await request(`${gw.url}/readyz`)).statusCode).toBe(200);
    sim.faults.add({ latency_ms: 1_500 });
    const slow = chat(gw.url, 'chat');
    await new Promise((r) => setTimeout(r, 200));
    meta.gcpPreempt();
    const started = Date.now();
    let ready = 200;
    while (ready === 200 && Date.now() - started < 1_000) {
      const res = await request(`${gw.url}/readyz`);
      ready = res.statusCode;
      await res.body.text();
      if (ready === 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(ready).toBe(503);
    const answered = await slow;
    expect(answered.statusCode).toBe(200);
    await answered.body.text();
    expect(await gw.exited).toBe(0);
  }, 20_000);

  it('SIGHUP reloads a valid config for new requests and keeps the running one when the file is invalid', async () => {
    const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    cleanup.push(() => sim.close());
    const dir = mkdtempSync(join(tmpdir(), 'reload-'));
    const gw = await serveProcess(config(dir, sim.url, 'chat'), { cleanup });
    expect((await chat(gw.url, 'chat')).statusCode).toBe(200);
    config(dir, sim.url, 'assistant');
    gw.child.kill('SIGHUP');
    await expect.poll(async () => (await chat(gw.url, 'assistant')).statusCode, { timeout: 5_000 }).toBe(200);
    expect((await chat(gw.url, 'chat')).statusCode).toBe(404);
    writeFileSync(join(dir, 'switchyard.yaml'), 'deployments: []\n');
    gw.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    expect((await chat(gw.url, 'assistant')).statusCode).toBe(200);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 20_000);

  it('keeps rate-limit counters across a reload: a SIGHUP hands out no fresh limit', async () => {
    const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    cleanup.push(() => sim.close());
    const dir = mkdtempSync(join(tmpdir(), 'reload-limits-'));
    // Per day: a minute's window could turn mid-spec.
    const limit = ['rate_limits: [{ name: everyone, requests_per_day: 2 }]'];
    const gw = await serveProcess(config(dir, sim.url, 'chat', limit), { cleanup });
    const statuses = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const res = await chat(gw.url, 'chat');
        await res.body.dump();
        out.push(res.statusCode);
      }
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    config(dir, sim.url, 'assistant', limit);
    gw.child.kill('SIGHUP');
    // Until the reload lands the new group is unknown (404); its first answer is the one that counts.
    let first = 404;
    await expect
      .poll(
        async () => {
          const res = await chat(gw.url, 'assistant');
          await res.body.dump();
          return (first = res.statusCode);
        },
        { timeout: 5_000 },
      )
      .not.toBe(404);
    expect(first).toBe(429);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 20_000);
  it('ignores a SIGHUP during the SIGTERM drain: the stream in flight finishes and the process exits 0', async () => {
    const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    cleanup.push(() => sim.close());
    const gw = await serveProcess(config(mkdtempSync(join(tmpdir(), 'hup-drain-')), sim.url, 'chat'), { cleanup });
    // The upstream holds the first token: the stream is in flight through the whole drain.
    sim.faults.add({ ttft_ms: 3_000 });
    const body = JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const answer = request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((res) => res.body.text());
    answer.catch(() => undefined);
    await expect.poll(() => sim.lastRequest, { timeout: 5_000, interval: 20 }).toBeDefined();
    gw.child.kill('SIGTERM');
    await expect.poll(() => gw.lines().some((l) => l.msg === 'shutting down'), { timeout: 5_000, interval: 20 }).toBe(true);
    gw.child.kill('SIGHUP');
    expect(await answer).toContain('data: [DONE]');
    expect(await gw.exited).toBe(0);
    expect(gw.lines().filter((l) => l.msg === 'reload ignored: shutting down')).toHaveLength(1);
  }, 20_000);

  it('GET /v1/switchyard/config shows the port and host serve listens on, and that --port and --host overrode the file', async () => {
    const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    cleanup.push(() => sim.close());
    // serveProcess starts `serve --port 0 --host 127.0.0.1`: a free port, in place of the file's 4321 and localhost.
    const gw = await serveProcess(config(mkdtempSync(join(tmpdir(), 'config-port-')), sim.url, 'chat', ['server: { port: 4321, host: localhost }']), { cleanup });
    const res = await request(`${gw.url}/v1/switchyard/config`);
    const shown = (await res.body.json()) as { server: { host: string; port: number }; overridden?: unknown };
    expect(res.statusCode).toBe(200);
    expect(shown.server).toMatchObject({ host: '127.0.0.1', port: Number(new URL(gw.url).port) });
    expect(shown.server.port).not.toBe(4321);
    expect(shown.overridden).toEqual({ 'server.host': { config: 'localhost', by: '--host' }, 'server.port': { config: 4321, by: '--port' } });
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 20_000);
});
