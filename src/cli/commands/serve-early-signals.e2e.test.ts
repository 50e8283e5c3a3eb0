import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundle, ROOT } from '../../../scripts/bundle.mjs';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { writeServeConfig } from '../../testing/serve-process.js';

// The built CLI as the package ships it: bin/switchyard.js beside the bundles of this source, inside the
// package so the bundles' external imports resolve from its node_modules.
mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
const pkg = mkdtempSync(join(ROOT, 'node_modules/.cache/switchyard-early-signals-'));
const BIN = join(pkg, 'bin/switchyard.js');
/**
 * A module hook that holds the load of the CLI bundle until the file `$HOLD_CLI_UNTIL` exists, and says
 * so on stderr: bin/switchyard.js has run up to its `import()` of the bundle, and nothing of serve has.
 */
const HOLD = join(pkg, 'hold-cli.mjs');
const HOLDING = 'holding the CLI bundle';

const cleanup: Array<() => Promise<unknown> | void> = [];
let sim: SimServer;

beforeAll(async () => {
  await bundle(join(pkg, 'dist/bundle'));
  mkdirSync(join(pkg, 'bin'));
  copyFileSync(join(ROOT, 'bin/switchyard.js'), BIN);
  const hook = `
import { existsSync, writeSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.endsWith('/dist/bundle/cli.js')) {
    writeSync(2, ${JSON.stringify(`${HOLDING}\n`)});
    while (!existsSync(process.env.HOLD_CLI_UNTIL)) await new Promise((r) => setTimeout(r, 10));
  }
  return next(url, context);
}`;
  writeFileSync(HOLD, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});\n`);
  sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
}, 60_000);

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

afterAll(async () => {
  await sim?.close();
  rmSync(pkg, { recursive: true, force: true });
});

interface Held {
  child: ChildProcess;
  /** Lets Node load the bundle. */
  release(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything written so far, stdout and stderr. */
  output(): string;
  /** The JSON log lines so far. */
  lines(): Array<Record<string, unknown>>;
}

/** Runs `node bin/switchyard.js ...args` and resolves once Node holds in loading the CLI bundle. */
async function heldWhileLoading(args: readonly string[]): Promise<Held> {
  const dir = mkdtempSync(join(tmpdir(), 'early-signals-'));
  const until = join(dir, 'release');
  const child = spawn(process.execPath, ['--import', pathToFileURL(HOLD).href, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, env: { ...process.env, HOLD_CLI_UNTIL: until } });
  cleanup.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await vi.waitFor(() => expect(out).toContain(HOLDING), { timeout: 15_000, interval: 10 });
  const lines = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, release: () => writeFileSync(until, ''), exited, output: () => out, lines };
}

const serveArgs = (): string[] => ['serve', '-c', writeServeConfig(mkdtempSync(join(tmpdir(), 'early-signals-config-')), sim.url, ['ledger: { enabled: false }']), '--port', '0', '--host', '127.0.0.1', '--workers', '1'];
const said = (held: Held, msg: string): Array<Record<string, unknown>> => held.lines().filter((l) => l.msg === msg);

describe('switchyard serve (the built CLI): a signal while Node still loads it', () => {
  it('a SIGTERM is kept and honoured once serve is up: it listens, drains at once and exits 0', async () => {
    const held = await heldWhileLoading(serveArgs());
    held.child.kill('SIGTERM');
    // Past the signal's delivery: a process Node's default action ends would be gone by now.
    await new Promise((r) => setTimeout(r, 200));
    held.release();
    expect(await held.exited).toEqual({ code: 0, signal: null });
    expect(said(held, 'switchyard listening')).toHaveLength(1);
    expect(said(held, 'shutting down')).toEqual([expect.objectContaining({ signal: 'SIGTERM' })]);
    expect(said(held, 'stopped')).toHaveLength(1);
  }, 30_000);

  it('under --workers, a SIGTERM is honoured before any worker is forked: exit 0', async () => {
    const held = await heldWhileLoading([...serveArgs().slice(0, -1), '2']);
    held.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    held.release();
    expect(await held.exited).toEqual({ code: 0, signal: null });
    expect(said(held, 'stopped before starting the workers')).toEqual([expect.objectContaining({ signal: 'SIGTERM' })]);
    expect(said(held, 'switchyard primary started')).toEqual([]);
  }, 30_000);

  it('a SIGHUP is ignored, logged once serve is up, and serve serves on until a SIGTERM', async () => {
    const held = await heldWhileLoading(serveArgs());
    held.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 200));
    held.release();
    await vi.waitFor(() => expect(said(held, 'switchyard listening')).toHaveLength(1), { timeout: 15_000, interval: 20 });
    expect(said(held, 'reload ignored: starting')).toEqual([expect.objectContaining({ signal: 'SIGHUP' })]);
    const url = said(held, 'switchyard listening')[0]?.url as string;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    held.child.kill('SIGTERM');
    expect(await held.exited).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('a second SIGINT (Ctrl-C pressed twice) exits at once, 130, without waiting for the load', async () => {
    const held = await heldWhileLoading(serveArgs());
    held.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    held.child.kill('SIGINT');
    expect(await held.exited).toEqual({ code: 130, signal: null });
  }, 30_000);

  it('leaves the other commands to Node: a one-shot command still ends on SIGTERM or SIGINT', async () => {
    for (const [command, signal] of [
      ['check-config', 'SIGTERM'],
      ['demo', 'SIGINT'],
    ] as const) {
      const held = await heldWhileLoading([command, '--help']);
      held.child.kill(signal);
      expect(await held.exited, command).toEqual({ code: null, signal });
    }
  }, 30_000);
});
