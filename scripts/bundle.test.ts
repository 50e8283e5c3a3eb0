import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, ENTRIES, ROOT } from './bundle.mjs';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  exports: Record<string, { types: string; default: string }>;
};

// Inside the package, so the bundles' external imports resolve from its node_modules as dist/bundle's do.
mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
const out = mkdtempSync(join(ROOT, 'node_modules/.cache/switchyard-bundle-'));
const loadLog = join(out, 'loads.log');
let upstream: Server;
let base = '';

beforeAll(async () => {
  await bundle(out);
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4o-mini',
          choices: [{ index: 0, message: { role: 'assistant', content: 'from the bundle' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => upstream?.close(resolve));
  rmSync(out, { recursive: true, force: true });
});

/** Runs an ES module body in a fresh node process, recording every module it resolves. */
async function node(script: string): Promise<{ stdout: string; loaded: string[] }> {
  writeFileSync(loadLog, '');
  const { stdout } = await run(process.execPath, ['--import', join(ROOT, 'src/testing/record-loads.mjs'), '--input-type=module', '-e', script], {
    env: { ...process.env, SWITCHYARD_LOAD_LOG: loadLog },
    timeout: 30_000,
  });
  return { stdout, loaded: readFileSync(loadLog, 'utf8').split('\n').filter(Boolean) };
}

describe('scripts/bundle.mjs', () => {
  it('is what every package export and the CLI run: one bundle per entry, next to the types tsc writes for it', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const name = /^\.\/dist\/bundle\/(.+)\.js$/.exec(target.default)?.[1] ?? '';
      const source = ENTRIES[name as keyof typeof ENTRIES];
      expect(source, `${subpath} → ${target.default}`).toBeDefined();
      expect(target.types, subpath).toBe(`./${source.replace(/^src\//, 'dist/').replace(/\.ts$/, '.d.ts')}`);
    }
    expect(`./${pkg.main}`).toBe(pkg.exports['.']?.default);
    expect(readFileSync(join(ROOT, 'bin/switchyard.js'), 'utf8')).toContain("'../dist/bundle/cli.js'");
  });

  it('builds a gateway that answers, loading zod from the bundle rather than ~100 files of node_modules', async () => {
    const { stdout, loaded } = await node(`
      const { createGateway } = await import(${JSON.stringify(join(out, 'index.js'))});
      const gateway = createGateway({
        deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: ${JSON.stringify(base)} }],
        groups: [{ name: 'chat', deployments: ['oai'] }],
      });
      const { response } = await gateway.chat({ model: 'chat', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
      await gateway.close();
      process.stdout.write(JSON.stringify(response.content));`);
    expect(JSON.parse(stdout)).toEqual([{ type: 'text', text: 'from the bundle' }]);
    expect(loaded.filter((url) => url.includes('/node_modules/zod/'))).toEqual([]);
    // Each chunk is resolved once per importing chunk: count modules, not resolutions.
    const ours = new Set(loaded.filter((url) => url.startsWith('file://') && fileURLToPath(url).startsWith(out)));
    expect(ours.size).toBeGreaterThan(1);
    expect(ours.size).toBeLessThan(40);
  });

  it('runs the CLI: a config error names its path and what was expected', async () => {
    const config = join(out, 'bad.yaml');
    writeFileSync(config, 'deployments:\n  - id: a\n    provider: openai-compatible\n    model: 7\n');
    const failed = await run(process.execPath, ['-e', `import(${JSON.stringify(join(out, 'cli.js'))}).then(async (m) => { process.exitCode = await m.main(['check-config', ${JSON.stringify(config)}]); })`]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('deployments[0].model: expected a string, got number 7');
  });
});
