// Cold start of Switchyard builds side by side: fresh processes that import the package, create a
// gateway for one openai-compatible deployment and send its first request (the bench's cold-start row,
// `lib/cold-start.mjs`), the builds alternated sample by sample so a noisy minute hits them alike.
// Usage: node bench/cold.mjs [--samples 15] <root>...   (a root is a package folder with dist/ built)
// Example: node bench/cold.mjs /tmp/old-build .
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { coldStartSample, summarize } from './lib/cold-start.mjs';
import { stopChild } from './lib/procs.mjs';
import { MODEL, startUpstream } from './lib/targets.mjs';

const { values: opt, positionals } = parseArgs({ allowPositionals: true, options: { samples: { type: 'string', default: '15' } } });
const roots = (positionals.length > 0 ? positionals : ['.']).map((r) => resolve(r));
const tmp = mkdtempSync(join(tmpdir(), 'switchyard-cold-'));
const upstream = await startUpstream(tmp);
try {
  const runs = new Map(roots.map((r) => [r, []]));
  for (let i = 0; i < Number(opt.samples); i++) for (const root of roots) runs.get(root).push(await coldStartSample(root, upstream, MODEL));
  const quartile = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 4)];
  for (const [root, samples] of runs) {
    const s = summarize(samples);
    const q1 = quartile(samples.map((r) => r.import_ms + r.create_ms));
    process.stdout.write(
      `${root}: import + create ${s.import_and_create_ms.toFixed(1)} ms median (q1 ${q1.toFixed(1)}; import ${s.import_ms.toFixed(1)}, create ${s.create_ms.toFixed(1)}), CPU ${s.import_and_create_cpu_ms.toFixed(1)} ms; first request +${s.first_request_ms.toFixed(1)} ms (${s.samples} samples)\n`,
    );
  }
} finally {
  await stopChild(upstream.child);
  rmSync(tmp, { recursive: true, force: true });
}
