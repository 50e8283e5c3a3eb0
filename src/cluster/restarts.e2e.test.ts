import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from 'undici';
import { startOpenAISim } from '../sim/openai/index.js';
import { serveProcess, workerPids, writeServeConfig, type ServeProcess } from '../testing/serve-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const NO_LEDGER = ['ledger: { enabled: false }'];

async function startSim() {
  const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
  cleanup.push(() => sim.close());
  return sim;
}


/** How many of the log lines so far say `msg`. */
const count = (gw: ServeProcess, msg: string): number => gw.lines().filter((l) => l.msg === msg).length;

/** The model names GET /v1/models lists, each time on a connection of its own (so the workers take turns). */
async function modelsOnEachWorker(url: string, times = 4): Promise<string[][]> {
  const seen: string[][] = [];
  for (let i = 0; i < times; i += 1) {
    const client = new Client(url);
    try {
      const res = await client.request({ path: '/v1/models', method: 'GET' });
      seen.push(((await res.body.json()) as { data: Array<{ id: string }> }).data.map((d) => d.id));
    } finally {
      await client.close();
    }
  }
  return seen;
}

/** SIGKILLs one worker (an OOM kill) and waits until the primary's replacement listens. */
async function crashOneWorker(gw: ServeProcess): Promise<void> {
  const listening = count(gw, 'switchyard listening');
  const [pid] = workerPids(gw);
  process.kill(pid as number, 'SIGKILL');
  await vi.waitFor(() => expect(count(gw, 'switchyard listening')).toBe(listening + 1), { timeout: 15_000, interval: 50 });
}

/** A streamed chat on its own connection, started; resolves to the whole body once it ends. */
function streamedChat(url: string): Promise<string> {
  const client = new Client(url);
  cleanup.push(() => client.destroy());
  const body = JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  return client.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((res) => res.body.text());
}

describe('serve --workers 2: a worker restarted after a crash', () => {
  it('builds from the config the group runs, not from a file made invalid since (whose reload was refused)', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'restart-invalid-'));
    const configPath = writeServeConfig(dir, sim.url, NO_LEDGER);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    writeFileSync(configPath, 'deployments: []\n');
    await crashOneWorker(gw);
    expect(count(gw, 'worker exited unexpectedly: restarting it')).toBe(1);
    expect(await modelsOnEachWorker(gw.url)).toEqual([['chat'], ['chat'], ['chat'], ['chat']]);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);

  it('runs the config the others run, not an edit not yet reloaded; after a reload, the reloaded one', async () => {
    const sim = await startSim();
    const dir = mkdtempSync(join(tmpdir(), 'restart-split-'));
    const configPath = writeServeConfig(dir, sim.url, NO_LEDGER);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    writeServeConfig(dir, sim.url, NO_LEDGER, 'renamed');
    await crashOneWorker(gw);
    expect(await modelsOnEachWorker(gw.url)).toEqual([['chat'], ['chat'], ['chat'], ['chat']]);
    // A reload (here by SIGHUP, forwarded to every worker) makes the edit the running config.
    gw.child.kill('SIGHUP');
    await vi.waitFor(() => expect(count(gw, 'config reloaded')).toBe(2), { timeout: 5_000, interval: 50 });
    await crashOneWorker(gw);
    expect(await modelsOnEachWorker(gw.url)).toEqual([['renamed'], ['renamed'], ['renamed'], ['renamed']]);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, 30_000);
});

describe('serve --workers 2: signals while draining', () => {
  /** Serves with an upstream that holds each stream's first token `ttftMs`; a stream in flight, SIGTERM sent, both workers draining. */
  async function drainingWithStream(ttftMs: number): Promise<{ gw: ServeProcess; answer: Promise<string> }> {
    const sim = await startSim();
    const gw = await serveProcess(writeServeConfig(mkdtempSync(join(tmpdir(), 'drain-signals-')), sim.url, NO_LEDGER), { workers: 2, cleanup });
    sim.faults.add({ ttft_ms: ttftMs });
    const answer = streamedChat(gw.url);
    answer.catch(() => undefined);
    await vi.waitFor(() => expect(sim.lastRequest).toBeDefined(), { timeout: 5_000, interval: 20 });
    gw.child.kill('SIGTERM');
    await vi.waitFor(() => expect(count(gw, 'shutting down')).toBe(2), { timeout: 5_000, interval: 20 });
    return { gw, answer };
  }

  it('a SIGHUP during the drain is ignored: the stream in flight finishes and the primary exits 0', async () => {
    const { gw, answer } = await drainingWithStream(3_000);
    gw.child.kill('SIGHUP');
    expect(await answer).toContain('data: [DONE]');
    expect(await gw.exited).toBe(0);
    expect(count(gw, 'reload ignored: shutting down')).toBe(1);
    expect(count(gw, 'a worker died while draining')).toBe(0);
  }, 30_000);

  it('a worker killed while draining makes the primary exit 1, saying so', async () => {
    const { gw } = await drainingWithStream(5_000);
    for (const pid of workerPids(gw)) process.kill(pid, 'SIGKILL');
    expect(await gw.exited).toBe(1);
    expect(count(gw, 'a worker died while draining')).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('a second SIGTERM during the drain is not fatal to any worker: the stream finishes and the primary exits 0', async () => {
    const { gw, answer } = await drainingWithStream(3_000);
    gw.child.kill('SIGTERM');
    expect(await answer).toContain('data: [DONE]');
    expect(await gw.exited).toBe(0);
    expect(count(gw, 'a worker died while draining')).toBe(0);
  }, 30_000);

  /** Ctrl-C at a terminal: SIGINT to the whole process group, the primary and every worker at once. */
  const ctrlC = (gw: ServeProcess): void => {
    for (const pid of [gw.child.pid as number, ...workerPids(gw)]) process.kill(pid, 'SIGINT');
  };

  /** Serves with an upstream that holds each stream's first token `ttftMs`, with a stream in flight. */
  async function servingStream(ttftMs: number): Promise<{ gw: ServeProcess; answer: Promise<string> }> {
    const sim = await startSim();
    const gw = await serveProcess(writeServeConfig(mkdtempSync(join(tmpdir(), 'ctrl-c-')), sim.url, [...NO_LEDGER, 'server: { shutdown_grace_ms: 20000 }']), { workers: 2, cleanup });
    sim.faults.add({ ttft_ms: ttftMs });
    const answer = streamedChat(gw.url).catch((err: unknown) => String(err));
    await vi.waitFor(() => expect(sim.lastRequest).toBeDefined(), { timeout: 5_000, interval: 20 });
    return { gw, answer };
  }

  it("Ctrl-C once drains every worker once (each hears the terminal's SIGINT and the primary's SIGTERM): the stream finishes, exit 0", async () => {
    const { gw, answer } = await servingStream(3_000);
    ctrlC(gw);
    expect(await answer).toContain('data: [DONE]');
    expect(await gw.exited).toBe(0);
    expect(count(gw, 'a worker died while draining')).toBe(0);
  }, 30_000);

  it('Ctrl-C twice stops every worker at once: the stream is cut and the primary exits 130', async () => {
    const { gw, answer } = await servingStream(15_000);
    ctrlC(gw);
    await vi.waitFor(() => expect(count(gw, 'shutting down')).toBe(2), { timeout: 5_000, interval: 20 });
    const pressed = Date.now();
    ctrlC(gw);
    expect(await gw.exited).toBe(130);
    expect(Date.now() - pressed).toBeLessThan(5_000);
    expect(await answer).not.toContain('data: [DONE]');
    expect(count(gw, 'stopped')).toBe(2);
  }, 30_000);

  it('SIGINT twice to the primary alone (kill -INT) stops every worker at once too: exit 130', async () => {
    const { gw, answer } = await servingStream(15_000);
    gw.child.kill('SIGINT');
    await vi.waitFor(() => expect(count(gw, 'shutting down')).toBe(2), { timeout: 5_000, interval: 20 });
    const pressed = Date.now();
    gw.child.kill('SIGINT');
    expect(await gw.exited).toBe(130);
    expect(Date.now() - pressed).toBeLessThan(5_000);
    expect(await answer).not.toContain('data: [DONE]');
    expect(count(gw, 'stopped')).toBe(2);
  }, 30_000);
});
