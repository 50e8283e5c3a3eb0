import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from 'undici';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { startMetadataSim, type MetadataSim } from '../../sim/metadata/index.js';
import { serveProcess, writeServeConfig, type ServeProcess } from '../../testing/serve-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** How many of the log lines so far say `msg`. */
const count = (gw: ServeProcess, msg: string): number => gw.lines().filter((l) => l.msg === msg).length;

interface Streaming {
  gw: ServeProcess;
  sim: SimServer;
  meta: MetadataSim;
  /** The streamed answer's whole body, or the error that cut it, as text. */
  answer: Promise<string>;
}

/**
 * `serve` (one process, `server.shutdown_grace_ms` 20 s) on an Azure VM (the metadata simulator, polled
 * every 100 ms) whose upstream holds each stream's first token `ttftMs`, with one stream in flight.
 */
async function streaming(ttftMs: number): Promise<Streaming> {
  const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
  const meta = await startMetadataSim();
  cleanup.push(() => sim.close(), () => meta.close());
  const extra = ['ledger: { enabled: false }', `interruption: { provider: azure, metadata_url: "${meta.url}", poll_ms: 100 }`, 'server: { shutdown_grace_ms: 20000 }'];
  const gw = await serveProcess(writeServeConfig(mkdtempSync(join(tmpdir(), 'serve-stops-')), sim.url, extra), { cleanup });
  sim.faults.add({ ttft_ms: ttftMs });
  const client = new Client(gw.url);
  cleanup.push(() => client.destroy());
  const body = JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const answer = client
    .request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body })
    .then((res) => res.body.text())
    .catch((err: unknown) => String(err));
  await vi.waitFor(() => expect(sim.lastRequest).toBeDefined(), { timeout: 5_000, interval: 20 });
  return { gw, sim, meta, answer };
}

const waitForLine = (gw: ServeProcess, msg: string): Promise<void> => vi.waitFor(() => expect(count(gw, msg)).toBeGreaterThan(0), { timeout: 5_000, interval: 20 });

describe('switchyard serve: a stop request during a drain joins it', () => {
  it("a SIGTERM during the drain of an interruption notice keeps the notice's deadline: gone before it, acknowledged once", async () => {
    // The upstream would answer after 15 s; NotBefore in 8 s leaves a grace of at most 3 s (5 s kept back).
    const { gw, meta, answer } = await streaming(15_000);
    const noticed = Date.now();
    const id = meta.azureSchedule('Preempt', new Date(noticed + 8_000));
    await waitForLine(gw, 'interruption notice: draining');
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect(Date.now() - noticed).toBeLessThan(8_000);
    expect(await answer).not.toContain('data: [DONE]');
    expect(meta.azureAcknowledged).toEqual([id]);
    const joined = gw.lines().find((l) => l.msg === 'already shutting down: the drain goes on');
    expect(joined).toMatchObject({ signal: 'SIGTERM' });
    expect(joined?.endsInMs).toBeLessThanOrEqual(3_000);
    expect(count(gw, 'shutting down')).toBe(0);
    expect(count(gw, 'stopped')).toBe(1);
  }, 30_000);

  it("an interruption notice during a SIGTERM drain shortens it to the notice's deadline", async () => {
    const { gw, meta, answer } = await streaming(15_000);
    gw.child.kill('SIGTERM');
    await waitForLine(gw, 'shutting down');
    const noticed = Date.now();
    const id = meta.azureSchedule('Preempt', new Date(noticed + 8_000));
    expect(await gw.exited).toBe(0);
    // Far short of the 20 s grace and of the upstream's 15 s: the notice left at most 3 s.
    expect(Date.now() - noticed).toBeLessThan(8_000);
    expect(await answer).not.toContain('data: [DONE]');
    expect(meta.azureAcknowledged).toEqual([id]);
  }, 30_000);

  it('a second SIGTERM during the drain is not fatal: the stream in flight finishes and serve exits 0', async () => {
    const { gw, answer } = await streaming(3_000);
    gw.child.kill('SIGTERM');
    await waitForLine(gw, 'shutting down');
    gw.child.kill('SIGTERM');
    expect(await answer).toContain('data: [DONE]');
    expect(await gw.exited).toBe(0);
    expect(count(gw, 'shutting down')).toBe(1);
    expect(count(gw, 'stopped')).toBe(1);
  }, 30_000);

  it('Ctrl-C twice: the second SIGINT stops at once, cutting the stream in flight, and serve exits 130 having closed its app', async () => {
    const { gw, answer } = await streaming(15_000);
    gw.child.kill('SIGINT');
    await waitForLine(gw, 'shutting down');
    const pressed = Date.now();
    gw.child.kill('SIGINT');
    expect(await gw.exited).toBe(130);
    expect(Date.now() - pressed).toBeLessThan(3_000);
    expect(await answer).not.toContain('data: [DONE]');
    expect(count(gw, 'second SIGINT: stopping now')).toBe(1);
    expect(count(gw, 'stopped')).toBe(1);
  }, 30_000);
});
