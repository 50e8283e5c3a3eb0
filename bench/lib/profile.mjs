// Profiles Switchyard under load (node --cpu-prof) and ranks functions by self time, so a missed
// target comes with the place to look.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, startSwitchyard } from './targets.mjs';
import { runWrk, writeScript } from './wrk.mjs';

/** Self time per function (ms and share of samples) from a .cpuprofile, heaviest first. */
export function topSelfTime(profileFile, limit = 25) {
  const prof = JSON.parse(readFileSync(profileFile, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of prof.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const deltas = prof.timeDeltas;
  // Sample i's duration is the delta to the next sample.
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]);
    const f = n.callFrame;
    const file = f.url ? relative(ROOT, f.url.replace('file://', '')) : '';
    const key = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + (deltas[i + 1] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = ['(idle)', '(program)', '(garbage collector)'];
  const busy = total - [...selfUs.entries()].filter(([k]) => k === '(idle)').reduce((a, [, v]) => a + v, 0);
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    top: [...selfUs.entries()]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([fn, us]) => ({ fn, self_ms: us / 1000, share_of_busy: us / busy, special: idle.includes(fn) })),
  };
}

/** Runs one Switchyard under --cpu-prof with `mode` load at `conns` for `seconds`; returns the ranking. */
export async function profileSwitchyard({ tmp, upstream, body, mode, conns, seconds, log }) {
  const dir = join(tmp, `cpuprof-${mode}`);
  const sy = await startSwitchyard(tmp, [{ id: 'bench-upstream', base: upstream.base }], { name: `sy-prof-${mode}`, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'] });
  const script = writeScript(tmp, `prof-${mode}`, body, {});
  const warm = await runWrk({ url: sy.url, script, connections: 16, seconds: 2 });
  const w = await runWrk({ url: sy.url, script, connections: conns, seconds });
  log(`  profiled ${mode} c=${conns}: ${w.requests} requests, ${w.rps.toFixed(0)} req/s`);
  await sy.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir} (did switchyard exit cleanly on SIGTERM?)`);
  return { requests: warm.requests + w.requests, file: join(dir, file), ...topSelfTime(join(dir, file)) };
}
