// The load generator: Debian's wrk (C, one thread), so the client barely competes with the gateways.
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

/** Finds wrk; installs it once with apt-get when we are root and it is missing; else explains. */
export function ensureWrk(log) {
  const found = () => {
    try {
      return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  let path = found();
  if (path) return path;
  if (process.getuid?.() !== 0) {
    throw new Error('wrk is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`) and run the benchmark again.');
  }
  log('wrk is missing; installing it with apt-get (once)...');
  try {
    execFileSync('sh', ['-c', 'apt-get install -y wrk || (apt-get update && apt-get install -y wrk)'], { stdio: 'ignore' });
  } catch {
    // Reported just below.
  }
  path = found();
  if (!path) throw new Error('wrk is not installed and `apt-get install -y wrk` failed. Install wrk and run the benchmark again.');
  return path;
}

// Lua long brackets of level 1 ([=[ ... ]=]) cannot be closed by anything inside a JSON body.
const lua = (s) => `[=[${s}]=]`;

/** Writes the wrk script for one target and body: POST, headers, and a machine-readable summary. */
export function writeScript(dir, name, body, headers) {
  const file = join(dir, `${name}.lua`);
  const lines = ['wrk.method = "POST"', `wrk.body = ${lua(body)}`, 'wrk.headers["Content-Type"] = "application/json"'];
  // The spaces matter: `[[=[` would open a long bracket.
  for (const [k, v] of Object.entries(headers)) lines.push(`wrk.headers[ ${lua(k)} ] = ${lua(v)}`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("BENCHJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50_us\\":%d,\\"p90_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,\\"mean_us\\":%.1f}\\n",',
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))',
    'end',
  );
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Runs wrk for `seconds` at `connections` and returns its summary (latencies in microseconds). */
export function runWrk({ url, script, connections, seconds }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', '-s', script, url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('BENCHJSON '));
      if (!line) return reject(new Error(`wrk gave no summary (${err?.message ?? 'no error'}): ${stderr || stdout}`));
      const r = JSON.parse(line.slice('BENCHJSON '.length));
      r.errors = r.connect + r.read + r.write + r.status + r.timeout;
      r.rps = r.requests / (r.duration_us / 1e6);
      resolve(r);
    });
  });
}
