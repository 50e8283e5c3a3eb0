import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from 'undici';
import { startOpenAISim } from '../sim/openai/index.js';
import { serveProcess, workerPids, writeServeConfig, type ServeProcess } from '../testing/serve-process.js';
import { PING_EVERY_MS, UNANSWERED_KILL_MS } from './watchdog.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});


/** The first log line that says `msg`, if any yet. */
const line = (gw: ServeProcess, msg: string): Record<string, unknown> | undefined => gw.lines().find((l) => l.msg === msg);

/** The status of one chat on a connection of its own (so the primary hands it to the next free worker), or how it failed. */
async function chatOnNewConnection(url: string, timeoutMs = 10_000): Promise<number | string> {
  const client = new Client(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  try {
    const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    const res = await client.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.body.text();
    return res.statusCode;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.destroy();
  }
}

const KILLED = 'worker stopped answering (its event loop is blocked): killing it (SIGKILL)';

describe('serve --workers 2: a worker whose event loop is stuck', () => {
  it('is SIGKILLed by the primary once it has left a ping unanswered for 30 s, and replaced; the other worker answers meanwhile, both after', async () => {
    const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    cleanup.push(() => sim.close());
    const configPath = writeServeConfig(mkdtempSync(join(tmpdir(), 'watchdog-')), sim.url, ['ledger: { enabled: false }']);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });
    const [stuck] = workerPids(gw) as [number];
    // A stopped process neither runs its loop nor gives up its share of the port: a hung loop, seen from outside.
    process.kill(stuck, 'SIGSTOP');
    cleanup.push(() => void (workerPids(gw).includes(stuck) && process.kill(stuck, 'SIGCONT')));
    const stoppedAt = Date.now();
    // A chat every 250 ms while it hangs, each given 2 s: the other worker answers them.
    const whileHung: Array<number | string> = [];
    const replaced = (): boolean => gw.lines().filter((l) => l.msg === 'switchyard listening').length === 3;
    const chatting = (async () => {
      while (!replaced()) {
        whileHung.push(await chatOnNewConnection(gw.url, 2_000));
        await setTimeout(250);
      }
    })();
    await vi.waitFor(() => expect(replaced()).toBe(true), { timeout: UNANSWERED_KILL_MS + 3 * PING_EVERY_MS, interval: 100 });
    await chatting;
    const killed = line(gw, KILLED) as Record<string, unknown>;
    expect(killed).toMatchObject({ pid: stuck });
    expect(killed.unansweredMs).toBeGreaterThanOrEqual(UNANSWERED_KILL_MS);
    expect(line(gw, 'worker exited unexpectedly: restarting it')).toMatchObject({ pid: stuck, signal: 'SIGKILL' });
    const listensAgain = gw.lines().filter((l) => l.msg === 'switchyard listening')[2] as { time: number };
    const answered = whileHung.filter((s) => s === 200).length;
    console.log(`SIGSTOP → SIGKILL ${(killed.time as number) - stoppedAt} ms (a ping unanswered ${String(killed.unansweredMs)} ms); SIGKILL → replacement listening ${listensAgain.time - (killed.time as number)} ms; chats while hung: ${answered}/${whileHung.length} answered (${[...new Set(whileHung)].join(', ')})`);
    expect(answered).toBeGreaterThan(0);
    expect(workerPids(gw)).not.toContain(stuck);
    expect(workerPids(gw)).toHaveLength(2);
    const statuses = await Promise.all([0, 1, 2, 3].map(() => chatOnNewConnection(gw.url)));
    expect(statuses).toEqual([200, 200, 200, 200]);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }, UNANSWERED_KILL_MS + 30_000);
});
