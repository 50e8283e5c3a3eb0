import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CHILD = fileURLToPath(new URL('../ledger/testing/serve-child.ts', import.meta.url));
// By path: a child working in another directory could not resolve `tsx` from there.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** `switchyard serve` running from source in a child process, listening on a free loopback port. */
export interface ServeProcess {
  child: ChildProcess;
  /** Where it listens (every worker shares the one port). */
  url: string;
  exited: Promise<number | null>;
  /** Every JSON log line so far, from stdout and stderr (the primary's and the workers'). */
  lines(): Array<Record<string, unknown>>;
}

export interface ServeProcessOptions {
  /** `--workers`; resolves once every worker listens. Default 1. */
  workers?: number;
  /** A test's cleanup list: a kill of the child, if still running, is added to it at spawn. */
  cleanup?: Array<() => Promise<unknown> | void>;
  /** Told of each complete JSON log line as it arrives, before the gateway listens too. */
  onLine?: (line: Record<string, unknown>, child: ChildProcess) => void;
}

/** Runs `switchyard <args>` from source in a child process (for tests of exit codes), in `cwd` if given. */
export function spawnSwitchyard(args: readonly string[], stdio: 'ignore' | 'pipe' = 'ignore', cwd?: string): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, CHILD, ...args], { stdio: stdio === 'ignore' ? 'ignore' : ['ignore', 'pipe', 'pipe'], cwd });
}

/** Starts `switchyard serve -c configPath` and resolves once it listens; rejects if it exits first. */
export function serveProcess(configPath: string, { workers = 1, cleanup, onLine }: ServeProcessOptions = {}): Promise<ServeProcess> {
  const child = spawnSwitchyard(['serve', '-c', configPath, '--port', '0', '--host', '127.0.0.1', '--workers', String(workers)], 'pipe');
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanup?.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  // Complete lines only: the last one may still be arriving.
  const lines = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .slice(0, -1)
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let ready = false;
  return new Promise((resolve, reject) => {
    let told = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (onLine) {
        const all = lines();
        for (; told < all.length; told += 1) onLine(all[told] as Record<string, unknown>, child);
      }
      if (ready) return;
      const listening = lines().filter((l) => l.msg === 'switchyard listening');
      if (listening.length < workers) return;
      ready = true;
      resolve({ child, url: listening[0]?.url as string, exited, lines });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before listening: ${out}`)));
  });
}

/**
 * Writes `dir/switchyard.yaml` (and returns its path): one openai-compatible deployment `oai` at the
 * simulator `simUrl`, alone in group `group`, info logs, then the `extra` lines (ledger, routing...).
 */
export function writeServeConfig(dir: string, simUrl: string, extra: readonly string[], group = 'chat'): string {
  const path = join(dir, 'switchyard.yaml');
  const lines = ['deployments:', `  - { id: oai, provider: openai-compatible, model: gpt-4o-mini, endpoint: "${simUrl}/v1" }`, 'groups:', `  - { name: ${group}, deployments: [oai] }`, 'logging: { level: info }', ...extra];
  writeFileSync(path, lines.join('\n'));
  return path;
}

/**
 * The pids of `gw`'s workers now: the primary's child processes running serve, not tsx's esbuild
 * service (another child while tsx's cache is cold).
 */
export function workerPids(gw: ServeProcess): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(gw.child.pid), '-f', 'serve-child'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}
