// Child processes of the benchmark and what the kernel says about them (/proc): CPU time and memory.
import { spawn, execFileSync } from 'node:child_process';
import { openSync, readFileSync, readdirSync, readSync, closeSync, statSync, fstatSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { createServer, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import process from 'node:process';
import { setTimeout, clearTimeout } from 'node:timers';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A port that was free a moment ago (the OS picks it; we release it for the child to bind). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * Starts a long-running child with its output in `logFile` (never a pipe we must drain: reading it
 * would cost the runner CPU during measurements) and waits until it accepts TCP on `port`.
 */
export async function startService({ name, cmd, args, port, logFile, cwd, env, timeoutMs = 20_000 }) {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited during start (code ${exited.code}, signal ${exited.signal}); see ${logFile}`);
    if (await portOpen(port)) return { name, pid: child.pid, port, child, logFile, stop: () => stopChild(child) };
    await sleep(50);
  }
  stopChild(child);
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs} ms; see ${logFile}`);
}

/** Stops one child we started, by its own pid. */
export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
  await gone;
  clearTimeout(timer);
}

/** The process and its descendants (a `serve --workers N` primary and its workers). */
function tree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i += 1) {
    for (const task of readdirSync(`/proc/${out[i]}/task`)) {
      const kids = readFileSync(`/proc/${out[i]}/task/${task}/children`, 'utf8').trim();
      if (kids) out.push(...kids.split(' ').map(Number));
    }
  }
  return out;
}

/** User+system CPU seconds the process (all its threads) and its children have used so far. */
export function cpuSeconds(pid) {
  let sum = 0;
  for (const p of tree(pid)) {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    sum += (Number(f[11]) + Number(f[12])) / CLK_TCK;
  }
  return sum;
}

/** Resident and peak-resident memory in MB, summed over the process and its children. */
export function memoryMb(pid) {
  let rss = 0;
  let hwm = 0;
  for (const p of tree(pid)) {
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    rss += kb('VmRSS') / 1024;
    hwm += kb('VmHWM') / 1024;
  }
  return { rss, hwm };
}

export { CLK_TCK };

/**
 * Event-loop delay inside a Switchyard started with SWITCHYARD_BENCH_ELD=1, in pairs around a cell: the
 * first call starts the histogram, the second has it printed into the log and stopped (no timer runs
 * in a target between its cells). Resolves with the line the signal printed.
 */
export async function eventLoopDelay(svc, timeoutMs = 3_000) {
  svc.eldSeq = (svc.eldSeq ?? 0) + 1;
  // Only what the log gained since the signal is read: access logs make the whole file large.
  const from = statSync(svc.logFile).size;
  process.kill(svc.pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(20);
    const fd = openSync(svc.logFile, 'r');
    const buf = Buffer.alloc(Math.max(0, fstatSync(fd).size - from));
    readSync(fd, buf, 0, buf.length, from);
    closeSync(fd);
    const line = buf.toString('utf8').split('\n').find((l) => l.startsWith('{"switchyard_eld"'));
    const eld = line ? JSON.parse(line).switchyard_eld : undefined;
    if (eld?.seq === svc.eldSeq) return eld;
  }
  return undefined;
}
