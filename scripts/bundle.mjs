// The package's runtime entries as ES module bundles (dist/bundle/): what `import('switchyard')`, the CLI
// and the serverless handlers load. Node's ESM loader pays ~0.5-0.8 ms per module to resolve, read,
// compile and link it; the tsc tree is ~215 modules and zod another ~100, which made importing the
// package ~220 ms of a cold start. The bundles are one module per entry plus shared chunks (code split
// across the entries, so a class or registry is the same object whichever entry loaded it; lazy
// `import()`s stay lazy chunks). zod is bundled in (the members src/config/zod.ts names, not its whole
// namespace); every other dependency stays an external import (native addons, pino's transports, the
// lazily loaded cloud SDKs), resolved from the package's node_modules as before. Built from src/ with esbuild; `tsc` still type-checks and writes the .d.ts
// files (and the module tree the benchmarks import piece by piece).
//
// Usage: node scripts/bundle.mjs [--outdir dist/bundle]
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Bundle name (dist/bundle/<name>.js) → its source entry. package.json `exports` point at these. */
export const ENTRIES = {
  index: 'src/index.ts',
  redis: 'src/redis.ts',
  cli: 'src/cli/main.ts',
  'aws-lambda': 'src/adapters/aws-lambda/index.ts',
  'aws-lambda-main': 'src/adapters/aws-lambda/main.ts',
  'gcp-functions': 'src/adapters/gcp-functions/index.ts',
  'gcp-functions-main': 'src/adapters/gcp-functions/main.ts',
  'azure-functions': 'src/adapters/azure-functions/index.ts',
  'azure-functions-main': 'src/adapters/azure-functions/main.ts',
};

/** Dependencies compiled into the bundles: pure ES modules whose many files cost more to load than to parse. */
export const BUNDLED = ['zod'];

/**
 * zod re-exports all of its ~50 message locales as `z.locales` (297 KB of the 582 KB it adds to a bundle:
 * ~15 ms of parsing at every cold start). Switchyard configures none (zod's default is English, which
 * zod imports on its own), so the bundle's `z.locales` holds English only.
 */
const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
    }));
  },
};

function externals() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter((n) => !BUNDLED.includes(n));
  return [...names.flatMap((n) => [n, `${n}/*`]), ...builtinModules.flatMap((m) => [m, `node:${m}`])];
}

/** Writes the bundles into `outdir` (absolute, or relative to the package root); resolves with their paths. */
export async function bundle(outdir = 'dist/bundle') {
  const out = resolve(ROOT, outdir);
  // Chunk names carry content hashes: without this, each rebuild would leave the last one's chunks
  // behind, and npm pack would ship them.
  rmSync(out, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.entries(ENTRIES).map(([name, src]) => ({ in: src, out: name })),
    outdir: out,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: join(ROOT, 'tsconfig.build.json'),
    external: externals(),
    plugins: [englishOnlyZodLocales],
    // Not minified: stack traces and the source line Node prints for an uncaught error stay readable.
    // Whitespace and syntax minification measured within noise of this (~120 ms import either way); full
    // minification saved ~10 ms more but mangles every name in a stack trace.
    legalComments: 'eof',
    // Read only under `node --enable-source-maps`: stack traces then name src/*.ts lines.
    sourcemap: true,
    logLevel: 'warning',
    metafile: true,
  });
  return Object.keys(result.metafile.outputs).map((f) => resolve(ROOT, f));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist/bundle' } } });
  await bundle(values.outdir);
}
