// npm's `prepare`: runs on `npm install` in this folder and on `npm pack`. Builds dist/ only from a
// source tree, and only when it is missing or older than a source file:
// - a packed copy has no src/: SAM's npm build installs the package it packed, and tsc is not there;
// - a checkout whose dist/ is fresh needs no write: SAM's build container mounts the source read-only.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const root = process.argv[2] ?? process.cwd();
const built = join(root, 'dist/bundle/cli.js');

/** Whether a file under `dir` (specs aside) is newer than `since`. */
function newerSource(dir, since) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? newerSource(path, since) : !entry.name.endsWith('.test.ts') && statSync(path).mtimeMs > since) return true;
  }
  return false;
}

/** Whether the sources, or what turns them into dist/, changed since `since`. */
function stale(since) {
  const builders = ['tsconfig.build.json', 'scripts/bundle.mjs'].map((f) => join(root, f));
  return builders.some((f) => existsSync(f) && statSync(f).mtimeMs > since) || newerSource(join(root, 'src'), since);
}

if (!existsSync(join(root, 'src'))) {
  process.stdout.write('prepare: no src/ here (a packed copy): nothing to build\n');
} else if (existsSync(built) && !stale(statSync(built).mtimeMs)) {
  process.stdout.write('prepare: dist/ is up to date\n');
} else {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs')], { cwd: root, stdio: 'inherit' });
}
