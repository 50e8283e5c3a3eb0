import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PREPARE = fileURLToPath(new URL('./prepare.mjs', import.meta.url));

/** A package folder: `src` files at the given ages in seconds, and a built CLI bundle at `builtAge`. */
function folder(src: Record<string, number> | undefined, builtAge?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'prepare-'));
  const touch = (path: string, age: number): void => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '');
    const t = Date.now() / 1000 - age;
    utimesSync(path, t, t);
  };
  touch(join(dir, 'package.json'), 120);
  for (const [name, age] of Object.entries(src ?? {})) touch(join(dir, 'src', name), age);
  if (builtAge !== undefined) for (const output of ['dist/index.d.ts', 'dist/bundle/cli.js']) touch(join(dir, output), builtAge);
  return dir;
}

const prepare = (dir: string) => run(process.execPath, [PREPARE, dir]);

describe("npm's prepare (scripts/prepare.mjs)", () => {
  it('builds nothing in a packed copy, which has no sources (SAM installs the package it packed, without tsc)', async () => {
    expect((await prepare(folder(undefined))).stdout).toContain('nothing to build');
  });

  it('writes nothing when dist/ is newer than every source (SAM mounts the checkout read-only), specs aside', async () => {
    expect((await prepare(folder({ 'a.ts': 60, 'b/c.ts': 30, 'b/c.test.ts': 1 }, 10))).stdout).toContain('up to date');
  });

  it("builds when a source or a build input is newer than dist/, or dist/ is missing, with the package's own typescript only", async () => {
    // No typescript next to the folder: the build that starts stops at once, naming why (npx would fetch one).
    const building = /typescript is not installed here/;
    await expect(prepare(folder({ 'a.ts': 1 }, 10))).rejects.toThrow(building);
    await expect(prepare(folder({ 'a.ts': 60 }))).rejects.toThrow(building);
    const configChanged = folder({ 'a.ts': 60 }, 10);
    writeFileSync(join(configChanged, 'tsconfig.json'), '{}');
    await expect(prepare(configChanged)).rejects.toThrow(building);
  });
});
