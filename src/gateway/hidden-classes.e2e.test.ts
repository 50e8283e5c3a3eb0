import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(ROOT, 'dist/app.js'));

// The whole request path (each front door, routing, gateway, provider, ledger, logs) run in process under
// `node --log-maps` by bench/inproc.mjs --maps. One hidden class made per request (an object given a
// key after a spread, on Node 20) made every function reading such objects megamorphic: 20 % of a
// request's CPU. Reads dist/ (built by `npm ci`), so it skips visibly without a build.
describe.skipIf(!built)('the request path, steady', () => {
  it.each(['openai-chat', 'anthropic-messages', 'openai-responses'])('creates no hidden class per request through %s, whole answers and streams', { timeout: 150_000 }, (door) => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bench/inproc.mjs'), '--maps', '--provider', 'wire', '--door', door, '--requests', '800', '--conns', '8', '--mode', 'json,stream'], { encoding: 'utf8', timeout: 140_000 });
    const perRequest = Number(/^json,stream .* ([\d.]+) new hidden classes per request/m.exec(out)?.[1]);
    // One-off classes (a lazy module, a late flush) can differ between the runs; a per-request one is ≥ 1.
    expect(perRequest, out).toBeLessThan(0.05);
  });
});
