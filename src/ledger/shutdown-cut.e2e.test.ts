import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { resolveConfig } from '../config/load.js';
import { createGateway } from '../gateway/gateway.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { createLedger, type Ledger } from './index.js';

let sim: SimServer;

beforeAll(async () => {
  sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
});

afterAll(async () => {
  await sim.close();
});

afterEach(() => sim.faults.clear());

/** A gateway on node:http with a SQLite ledger, in front of the simulator. */
async function serve(): Promise<{ server: RunningServer; ledger: Ledger }> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-shutdown-'));
  const config = resolveConfig({
    routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 30_000 },
    deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
    groups: [{ name: 'chat', deployments: ['oai'] }],
    ledger: { path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl') },
  });
  const ledger = await createLedger(config);
  const gateway = createGateway(config, { observers: [ledger.observer], priceOf: ledger.priceOf });
  const server = await startServer(gateway, { port: 0, host: '127.0.0.1', onClose: () => gateway.close() });
  return { server, ledger };
}

/** The ledger's rows as [status, stored error kind], after a flush. */
async function stored(ledger: Ledger): Promise<Array<[string | null | undefined, string | null | undefined]>> {
  await ledger.flush();
  const rows = await ledger.store!.summarize({ from: 0, to: Date.now() + 1000, groupBy: ['status', 'error'] });
  return rows.map((r) => [r.keys.status, r.keys.error]);
}

const chat = (server: RunningServer, stream: boolean) =>
  request(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', stream, messages: [{ role: 'user', content: 'Hi' }] }),
  });

describe("the ledger row of a request the gateway's shutdown ended", () => {
  it('stores a stream cut at the drain deadline as the server shutdown, not as a client that left', async () => {
    sim.faults.add({ stall_after_chunks: 2, count: 1 });
    const { server, ledger } = await serve();
    const res = await chat(server, true);
    expect(res.statusCode).toBe(200);
    const stopping = server.shutdown(200);
    expect(await res.body.text()).toMatch(/The server is shutting down/);
    await stopping;
    expect(await stored(ledger)).toEqual([['cancelled', 'server_shutdown']]);
    await ledger.close();
  });

  it('stores a request whose answer had not begun at the drain deadline (answered 503) as the server shutdown', async () => {
    sim.faults.add({ latency_ms: 10_000, count: 1 });
    const { server, ledger } = await serve();
    const pending = chat(server, false);
    await new Promise((r) => setTimeout(r, 100));
    const stopping = server.shutdown(200);
    expect((await pending).statusCode).toBe(503);
    await stopping;
    expect(await stored(ledger)).toEqual([['cancelled', 'server_shutdown']]);
    await ledger.close();
  });

  it('still stores a client that leaves mid-stream as cancelled', async () => {
    sim.faults.add({ stall_after_chunks: 2, count: 1 });
    const { server, ledger } = await serve();
    const res = await chat(server, true);
    expect((await res.body[Symbol.asyncIterator]().next()).done).toBe(false);
    res.body.destroy();
    await expect.poll(async () => stored(ledger)).toEqual([['cancelled', 'cancelled']]);
    await server.shutdown(100);
    await ledger.close();
  });
});
