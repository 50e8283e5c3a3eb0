import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CounterRef, ReserveResult } from '../state.js';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const stateModule = fileURLToPath(new URL('../redis-state.ts', import.meta.url));
const loggerModule = fileURLToPath(new URL('../../../core/logger.ts', import.meta.url));

/** A replica in a process of its own that reserved and is in flight for ever, until it is killed. */
export interface ReservingReplica {
  /** What its reserve answered. */
  readonly result: ReserveResult;
  /** SIGKILL: no release, no heartbeat, no close; resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * Starts a `RedisBudgetState` replica in a child process (its lease 600 ms, heartbeat 100 ms) that
 * reserves `amount` on `ref` and then holds it, as a request in flight does, for the lease specs.
 */
export async function startReservingReplica(o: { url: string; cluster?: boolean; prefix: string; now: number; ref: CounterRef; amount: number }): Promise<ReservingReplica> {
  const options = `{ url: ${JSON.stringify(o.url)}, cluster: ${o.cluster === true}, prefix: ${JSON.stringify(o.prefix)}, logger: silentLogger, now: () => ${o.now}, lease: { ms: 600, heartbeatMs: 100 } }`;
  const body = [
    `import { RedisBudgetState } from ${JSON.stringify(stateModule)};`,
    `import { silentLogger } from ${JSON.stringify(loggerModule)};`,
    `const state = new RedisBudgetState(${options});`,
    `const result = await state.reserve([${JSON.stringify(o.ref)}], ${o.amount});`,
    `process.stdout.write(JSON.stringify(result) + '\\n');`,
    // In flight for ever: only the kill ends it, with no release and no close.
    `setInterval(() => undefined, 60_000);`,
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', body], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.once('exit', () => reject(new Error('the replica exited before reserving')));
    });
    return { result: JSON.parse(line) as ReserveResult, kill };
  } catch (err) {
    await kill();
    throw err;
  }
}
