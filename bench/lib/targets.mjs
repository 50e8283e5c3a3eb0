// Starts what the benchmark measures: the upstream, the floor proxy, Switchyard and Portkey's gateway.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { freePort, startService } from './procs.mjs';
import process from 'node:process';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH = join(ROOT, 'bench');
export const PORTKEY_VERSION = '1.15.2';
export const MODEL = 'gpt-4o-mini';

/**
 * The Node options the container image runs the gateway with (the Dockerfile's `ENV NODE_OPTIONS`, its
 * young-generation size): every target under load (the floor, Switchyard, Portkey) runs with them, so
 * the bench measures the settings Switchyard ships, and the floor and the peer get the same.
 */
export const RUNTIME_NODE_OPTIONS = imageNodeOptions();

function imageNodeOptions() {
  const found = /^ENV\s+NODE_OPTIONS=(?:"([^"]*)"|(\S*))\s*$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  return found?.[1] ?? found?.[2] ?? '';
}
const runtimeEnv = (env = {}) => ({ ...env, NODE_OPTIONS: RUNTIME_NODE_OPTIONS });

/** Starts the bench upstream (`status` other than 200 makes it a failing primary). */
export async function startUpstream(tmp, { name = 'upstream', chunks = 8, status = 200 } = {}) {
  const port = await freePort();
  const svc = await startService({
    name,
    cmd: process.execPath,
    args: [join(BENCH, 'upstream.mjs'), '--port', String(port), '--chunks', String(chunks), '--status', String(status)],
    port,
    logFile: join(tmp, `${name}.log`),
  });
  return { ...svc, url: `http://127.0.0.1:${port}/v1/chat/completions`, base: `http://127.0.0.1:${port}/v1`, headers: {} };
}

/** Starts the floor proxy, in `workers` cluster processes when more than one. */
export async function startFloor(tmp, upstream, { name = 'floor', workers = 1, nodeArgs = [] } = {}) {
  const port = await freePort();
  const svc = await startService({
    name,
    cmd: process.execPath,
    args: [...nodeArgs, join(BENCH, 'floor-proxy.mjs'), '--port', String(port), '--upstream', `http://127.0.0.1:${upstream.port}`, '--workers', String(workers)],
    port,
    logFile: join(tmp, `${name}.log`),
    env: runtimeEnv(),
  });
  return { ...svc, url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: {} };
}

/**
 * Builds dist/ when it is missing or older than any source file, so we measure the code in src/: tsc,
 * then the bundles the CLI runs (scripts/bundle.mjs, built from src/ too).
 * --noEmitOnError: a tree that does not typecheck (someone mid-edit) must not replace a working dist/,
 * so the bundles are rebuilt only after tsc succeeded.
 */
export function ensureBuilt(log) {
  const main = join(ROOT, 'dist/bundle/cli.js');
  const stale = () => execFileSync('find', [join(ROOT, 'src'), '-name', '*.ts', '!', '-name', '*.test.ts', '-newer', main], { encoding: 'utf8' }).trim() !== '';
  if (existsSync(main) && existsSync(join(ROOT, 'dist/cli/main.js')) && !stale()) return 'dist is up to date';
  log('building dist/ (tsc, then scripts/bundle.mjs)...');
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--noEmitOnError'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const first = String(err.stdout ?? '').split('\n').find((l) => l.includes('error TS')) ?? err.message;
    if (!existsSync(main)) throw new Error(`the build failed and dist/ is missing: ${first}`);
    log(`warning: src does not typecheck (${first.trim()}); benchmarking the last good dist/`);
    return 'STALE: src does not typecheck, last good build used';
  }
  execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return 'built from src';
}

/** Whether this build's config schema knows the `ledger:` section. */
export function ledgerSupported() {
  const schema = join(ROOT, 'dist/config/schema.js');
  return existsSync(schema) && /\bledger\s*:/.test(readFileSync(schema, 'utf8'));
}

function yamlFor({ port, deployments, ledger, tmp, routing, journal = true, extra = [] }) {
  const lines = ['server:', '  host: 127.0.0.1', `  port: ${port}`, 'logging:', '  level: info'];
  // Nested settings as JSON flow mappings, which are YAML too.
  if (routing) lines.push('routing:', ...Object.entries(routing).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`));
  lines.push('deployments:');
  for (const d of deployments) {
    lines.push(`  - id: ${d.id}`, '    provider: openai-compatible', `    model: ${MODEL}`, `    endpoint: ${d.base}`, '    api_key: sk-bench');
  }
  lines.push('groups:', `  - name: ${MODEL}`, '    strategy: priority', `    deployments: [${deployments.map((d) => d.id).join(', ')}]`);
  if (ledger) {
    lines.push('ledger:', '  enabled: true', '  store: sqlite', `  path: ${join(tmp, 'ledger.sqlite')}`, `  spill_path: ${join(tmp, 'ledger-spill.jsonl')}`, `  journal_dir: ${join(tmp, 'ledger-journal')}`, `  journal: ${journal}`);
  }
  lines.push(...extra);
  return lines.join('\n') + '\n';
}

/**
 * Starts `switchyard serve` (the real CLI, access logs at info into a file) with the given deployments
 * as one priority group, in `workers` processes. Returns the service plus what the config enabled.
 */
export async function startSwitchyard(tmp, deployments, { name = 'switchyard', routing, nodeArgs = [], workers = 1, journal = true, extra = [] } = {}) {
  const port = await freePort();
  const ledger = ledgerSupported();
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'switchyard.yaml');
  writeFileSync(config, yamlFor({ port, deployments, ledger, tmp: dir, routing, journal, extra }));
  const svc = await startService({
    name,
    cmd: process.execPath,
    // Explicit: `serve` alone runs one worker per core.
    args: [...nodeArgs, join(ROOT, 'bin/switchyard.js'), 'serve', '-c', config, '--workers', String(workers)],
    port,
    logFile: join(dir, 'switchyard.log'),
    cwd: dir,
    env: runtimeEnv({ SWITCHYARD_BENCH_ELD: '1' }),
  });
  // The delay hook lives in the serving process: with workers, a signal to the primary would end it.
  return { ...svc, eld: workers === 1, url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: {}, ledger, ledgerFile: join(dir, 'ledger.sqlite'), config };
}

/**
 * Installs Portkey's gateway into `tmp` and starts it. Returns `{ skipped: reason }` when it cannot be
 * installed or started: the benchmark goes on without it.
 */
export async function startPortkey(tmp, upstream, log) {
  const dir = join(tmp, 'portkey');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${dir}...`);
  try {
    // --ignore-scripts: its only install script is patch-package, which has nothing to patch in the build.
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', `@portkey-ai/gateway@${PORTKEY_VERSION}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 180_000,
    });
  } catch (err) {
    return { skipped: `npm install @portkey-ai/gateway@${PORTKEY_VERSION} failed: ${String(err.stderr ?? err.message).split('\n').slice(-3).join(' ').trim()}` };
  }
  const entry = join(dir, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  if (!existsSync(entry)) return { skipped: `the installed package has no build/start-server.js` };
  const port = await freePort();
  try {
    const svc = await startService({
      name: 'portkey',
      cmd: process.execPath,
      args: [entry, `--port=${port}`, '--headless'],
      port,
      logFile: join(dir, 'portkey.log'),
      cwd: dir,
      env: runtimeEnv(),
    });
    // Its documented way to reach an OpenAI-compatible server at a custom base URL.
    const headers = { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream.base, authorization: 'Bearer sk-bench' };
    return { ...svc, url: `http://127.0.0.1:${port}/v1/chat/completions`, headers };
  } catch (err) {
    return { skipped: `could not start: ${err.message}` };
  }
}
