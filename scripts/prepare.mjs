// npm's `prepare`: runs on `npm install` in this folder and on `npm pack`. Builds dist/ only from a
// source tree, and only when it is missing or not newer than everything it is built from:
// - a packed copy has no src/: SAM's npm build installs the package it packed, and tsc is not there;
// - a checkout whose dist/ is fresh needs no write: SAM's build container mounts the source read-only.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';

const root = process.argv[2] ?? process.cwd();
/** What a build writes last of each step: tsc's entry declarations, then the bundles. */
const OUTPUTS = ['dist/index.d.ts', 'dist/bundle/cli.js'];
/** What a build reads besides src/: its configs, and the dependencies the bundles take in or leave out. */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'scripts/bundle.mjs', 'package.json', 'package-lock.json'];

/** Whether a file under `dir` (specs aside) changed at or after `since`. */
function changedSince(dir, since) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? changedSince(path, since) : !entry.name.endsWith('.test.ts') && statSync(path).mtimeMs >= since) return true;
  }
  return false;
}

function stale() {
  const outputs = OUTPUTS.map((f) => join(root, f));
  if (!outputs.every((f) => existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  return INPUTS.map((f) => join(root, f)).some((f) => existsSync(f) && statSync(f).mtimeMs >= built) || changedSince(join(root, 'src'), built);
}

/** TypeScript's compiler from this package's own dependencies: never whatever `npx tsc` would fetch. */
function tscPath() {
  try {
    return createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    throw new Error('prepare: dist/ needs building but typescript is not installed here (a dev dependency): run `npm install` with dev dependencies, then `npm run build`');
  }
}

if (!existsSync(join(root, 'src'))) {
  process.stdout.write('prepare: no src/ here (a packed copy): nothing to build\n');
} else if (!stale()) {
  process.stdout.write('prepare: dist/ is up to date\n');
} else {
  execFileSync(process.execPath, [tscPath(), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs')], { cwd: root, stdio: 'inherit' });
}
