import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from 'undici';
import { startOpenAISim } from '../sim/openai/index.js';
import { startMetadataSim, type MetadataSim } from '../sim/metadata/index.js';
import { serveProcess, writeServeConfig, type ServeProcess } from '../testing/serve-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** How many of the log lines so far say `msg`. */
const count = (gw: ServeProcess, msg: string): number => gw.lines().filter((l) => l.msg === msg).length;

/**
 * `serve --workers 2` on an Azure VM (the metadata simulator, polled every 100 ms) whose upstream holds
 * each stream's first token `ttftMs`, with one stream in flight: one worker streams, the other is idle.
 */
async function streamingOnAzure(ttftMs: number): Promise<{ gw: ServeProcess; meta: MetadataSim; answer: Promise<string> }> {
  const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
  const meta = await startMetadataSim();
  cleanup.push(() => sim.close(), () => meta.close());
  const extra = ['ledger: { enabled: false }', `interruption: { provider: azure, metadata_url: "${meta.url}", poll_ms: 100 }`, 'server: { shutdown_grace_ms: 20000 }'];
  const gw = await serveProcess(writeServeConfig(mkdtempSync(join(tmpdir(), 'workers-interruption-')), sim.url, extra), { workers: 2, cleanup });
  sim.faults.add({ ttft_ms: ttftMs });
  const client = new Client(gw.url);
  cleanup.push(() => client.destroy());
  const body = JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const answer = client.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((res) => res.body.text());
  answer.catch(() => undefined);
  await vi.waitFor(() => expect(sim.lastRequest).toBeDefined(), { timeout: 5_000, interval: 20 });
  return { gw, meta, answer };
}

describe('serve --workers 2: an interruption notice', () => {
  it('Azure: only the primary watches; a Preempt drains both workers and is acknowledged once the stream in flight ended and every worker exited', async () => {
    const { gw, meta, answer } = await streamingOnAzure(3_000);
    const id = meta.azureSchedule('Preempt', new Date(Date.now() + 60_000));
    const streamed = await answer;
    // StartRequests lets Azure take the VM at once: never while a worker still serves.
    const acknowledgedWhenTheStreamEnded = [...meta.azureAcknowledged];
    expect(streamed).toContain('data: [DONE]');
    expect(acknowledgedWhenTheStreamEnded).toEqual([]);
    expect(await gw.exited).toBe(0);
    expect(meta.azureAcknowledged).toEqual([id]);
    // One metadata probe per pod, and every worker drained on the primary's notice.
    expect(count(gw, 'interruption watcher started')).toBe(1);
    expect(count(gw, 'interruption notice from the primary: draining')).toBe(2);
    expect(count(gw, 'stopped')).toBe(2);
    expect(count(gw, 'a worker died while draining')).toBe(0);
  }, 30_000);

  it("a worker drains with the grace the notice's deadline leaves, not server.shutdown_grace_ms", async () => {
    // The upstream would answer after 12 s; NotBefore in 8 s leaves a grace of at most 3 s (5 s kept back).
    const { gw, meta, answer } = await streamingOnAzure(12_000);
    const noticed = Date.now();
    const id = meta.azureSchedule('Preempt', new Date(noticed + 8_000));
    const streamed = await answer.catch((err: unknown) => String(err));
    expect(streamed).not.toContain('data: [DONE]');
    expect(await gw.exited).toBe(0);
    // Far inside the upstream's 12 s, far past the grace: a loaded machine may be slow to start or stop.
    expect(Date.now() - noticed).toBeLessThan(10_000);
    expect(meta.azureAcknowledged).toEqual([id]);
  }, 30_000);

  it("a SIGTERM to the primary during the notice's drain joins it: every worker keeps the notice's deadline", async () => {
    const { gw, meta, answer } = await streamingOnAzure(15_000);
    const noticed = Date.now();
    const id = meta.azureSchedule('Preempt', new Date(noticed + 8_000));
    await vi.waitFor(() => expect(count(gw, 'interruption notice from the primary: draining')).toBe(2), { timeout: 5_000, interval: 20 });
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect(Date.now() - noticed).toBeLessThan(8_000);
    expect(await answer.catch((err: unknown) => String(err))).not.toContain('data: [DONE]');
    expect(meta.azureAcknowledged).toEqual([id]);
    // The streaming worker joined its drain rather than starting one with server.shutdown_grace_ms (the
    // idle one may have exited already).
    expect(count(gw, 'already shutting down: the drain goes on')).toBeGreaterThanOrEqual(1);
    expect(count(gw, 'shutting down')).toBe(0);
    expect(count(gw, 'a worker died while draining')).toBe(0);
  }, 30_000);

  it("a notice during a SIGTERM drain shortens every worker's drain to the notice's deadline, and is acknowledged once they have exited", async () => {
    const { gw, meta, answer } = await streamingOnAzure(15_000);
    gw.child.kill('SIGTERM');
    await vi.waitFor(() => expect(count(gw, 'shutting down')).toBe(2), { timeout: 5_000, interval: 20 });
    const noticed = Date.now();
    const id = meta.azureSchedule('Preempt', new Date(noticed + 8_000));
    expect(await gw.exited).toBe(0);
    // Far short of the 20 s grace and of the upstream's 15 s: the notice left at most 3 s.
    expect(Date.now() - noticed).toBeLessThan(8_000);
    expect(await answer.catch((err: unknown) => String(err))).not.toContain('data: [DONE]');
    expect(meta.azureAcknowledged).toEqual([id]);
    expect(count(gw, 'a worker died while draining')).toBe(0);
  }, 30_000);
});
