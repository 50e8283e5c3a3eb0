import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { streamFromLambdaMain } from '../src/adapters/aws-lambda/testing/invoke-main.js';
import { postToRegisteredFunction } from '../src/adapters/gcp-functions/testing/post-to-function.js';
import { writeEntryConfig } from '../src/adapters/testing/entry-config.js';
import { startOpenAISim } from '../src/sim/openai/index.js';
import type { SimServer } from '../src/sim/server.js';
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
let sim: SimServer;
let entryConfig: ReturnType<typeof writeEntryConfig>;

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
  sim = await startOpenAISim();
  entryConfig = writeEntryConfig(sim.url);
}, 60_000);

afterAll(async () => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  entryConfig?.remove();
  await sim?.close();
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

  it('replaces an earlier build instead of leaving its chunks behind', async () => {
    const dir = mkdtempSync(join(ROOT, 'node_modules/.cache/switchyard-rebundle-'));
    try {
      mkdirSync(join(dir, 'chunks'));
      writeFileSync(join(dir, 'chunks/chunk-STALE.js'), 'export {};');
      const written = await bundle(dir);
      expect(existsSync(join(dir, 'chunks/chunk-STALE.js'))).toBe(false);
      expect(readdirSync(join(dir, 'chunks')).length).toBe(written.filter((f) => f.includes('/chunks/')).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    // Each chunk is resolved once per importing chunk: count modules, not resolutions. A few dozen chunks,
    // as esbuild splits what the entries share, against the hundreds of files an unbundled load reads;
    // the bound moves with how modules are shared (a module a new entry also imports splits a chunk).
    const ours = new Set(loaded.filter((url) => url.startsWith('file://') && fileURLToPath(url).startsWith(out)));
    expect(ours.size).toBeGreaterThan(1);
    expect(ours.size).toBeLessThan(55);
  });

  it('leaves out the zod no schema uses (its JSON Schema generator and converter, the coercions)', () => {
    // esbuild heads each module it bundles with a `// <path>` comment.
    const chunks = readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.js'));
    const zodModules = new Set(chunks.flatMap((f) => readFileSync(join(out, 'chunks', f), 'utf8').match(/^\/\/ node_modules\/zod\/\S+/gm) ?? []));
    expect(zodModules).toContain('// node_modules/zod/v4/core/schemas.js');
    for (const unused of ['core/json-schema-generator.js', 'classic/from-json-schema.js', 'classic/coerce.js', 'locales/index.js']) {
      expect(zodModules).not.toContain(`// node_modules/zod/v4/${unused}`);
    }
  });

  it('runs the CLI: a config error names its path and what was expected', async () => {
    const config = join(out, 'bad.yaml');
    writeFileSync(config, 'deployments:\n  - id: a\n    provider: openai-compatible\n    model: 7\n');
    const failed = await run(process.execPath, ['-e', `import(${JSON.stringify(join(out, 'cli.js'))}).then(async (m) => { process.exitCode = await m.main(['check-config', ${JSON.stringify(config)}]); })`]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('deployments[0].model: expected a string, got 7');
  });

  // The bundles import the platform libraries as externals: these load them natively, as a platform
  // would, and drive them with the same tools as the adapters' own main.test.ts.
  it('runs the SAM handler from its bundle: a streamed answer built from the config SWITCHYARD_CONFIG names', async () => {
    vi.stubEnv('SWITCHYARD_CONFIG', entryConfig.path);
    const { prelude, body } = await streamFromLambdaMain(() => import(join(out, 'aws-lambda-main.js')), vi.stubGlobal);
    expect(prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('registers the Cloud Functions function switchyard from its bundle, which streams an answer', async () => {
    vi.stubEnv('SWITCHYARD_CONFIG', entryConfig.path);
    await import(join(out, 'gcp-functions-main.js'));
    const res = await postToRegisteredFunction('switchyard');
    expect(res.status).toBe(200);
    expect(res.body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
