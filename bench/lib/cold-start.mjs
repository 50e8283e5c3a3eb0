// Cold start as a serverless platform sees it: a fresh process imports the package, creates a gateway for
// a one-provider config, and sends its first request. Each sample is its own node process. The package is
// imported through its package.json `exports` (the bundle, dist/bundle/index.js, where the build has one).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import process from 'node:process';

const SCRIPT = (entry, base, model) => `
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const c0 = cpu();
const t0 = performance.now();
const { createGateway } = await import(${JSON.stringify(entry)});
const t1 = performance.now();
const gateway = createGateway({
  deployments: [{ id: 'cold', provider: 'openai-compatible', model: ${JSON.stringify(model)}, endpoint: ${JSON.stringify(base)} }],
  groups: [{ name: 'chat', deployments: ['cold'] }],
});
const t2 = performance.now();
const c2 = cpu();
await gateway.chat({ model: 'chat', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
const t3 = performance.now();
const c3 = cpu();
await gateway.close();
process.stdout.write(JSON.stringify({ import_ms: t1 - t0, create_ms: t2 - t1, first_request_ms: t3 - t2, import_and_create_cpu_ms: c2 - c0, first_request_cpu_ms: c3 - c2 }));
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One fresh process: import, create and first-request times (ms), wall clock and the process's CPU. */
export async function coldStartSample(root, upstream, model) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entry = join(root, pkg.exports?.['.']?.default ?? pkg.main ?? 'dist/index.js');
  const { stdout: out } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCRIPT(entry, upstream.base, model)], { encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out);
}

/** The medians of a set of samples (`import_and_create_ms` is the median of each sample's sum). */
export function summarize(runs) {
  const m = (k) => median(runs.map((r) => r[k]));
  return { samples: runs.length, import_ms: m('import_ms'), create_ms: m('create_ms'), import_and_create_ms: median(runs.map((r) => r.import_ms + r.create_ms)), first_request_ms: m('first_request_ms'), import_and_create_cpu_ms: m('import_and_create_cpu_ms'), first_request_cpu_ms: m('first_request_cpu_ms') };
}

/**
 * Median over `samples` fresh processes of import, create and first-request times (ms): wall clock, and
 * the process's CPU time, which other work on a shared machine disturbs far less.
 */
export async function measureColdStart(root, upstream, model, samples = 5) {
  const runs = [];
  for (let i = 0; i < samples; i++) runs.push(await coldStartSample(root, upstream, model));
  return summarize(runs);
}
