import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createApp } from '../app.js';
import { checkReach } from '../routing/reach.js';
import type { SimServer } from '../sim/server.js';
import { ConfigError, parseConfigText, type ConfigProblem } from './load.js';
import type { GatewayConfig } from './schema.js';
import { formatPath } from './interpolate.js';
import { MAX_ALIAS_COPIES } from './yaml-problems.js';
import { mutateConfig, BLANK_VAR, type ConfigMutant } from './testing/config-mutate.js';
import { configSeeds, SECRET_CANARY, SEED_ENV, type ConfigSeed } from './testing/config-seeds.js';

/**
 * The config fuzzer. Every bad config gets one clear error naming the exact path: the loader either
 * accepts a mutant or throws ConfigError whose every problem names a place the mutant has (or the key
 * missing from one it has) and quotes no secret; an accepted mutant then builds an app (as `serve` and
 * `demo` do: the reach check, then `createApp`) throwing nothing but ConfigError. Anything else (a
 * TypeError, a RangeError, a provider's constructor failing) is a finding, named by seed and index.
 */

const FUZZ_SEED = Number(process.env.SWITCHYARD_FUZZ_SEED ?? 20_240_611);
/** Mutants per seed config. */
const CASES = Number(process.env.SWITCHYARD_FUZZ_CASES ?? 24);
/** App builds per seed config, at most (each opens a SQLite ledger: the slow part). */
const BUILDS = Number(process.env.SWITCHYARD_FUZZ_BUILDS ?? 4);
/** SWITCHYARD_FUZZ_LOG=1 prints each case's label before it runs. */
const LOG = process.env.SWITCHYARD_FUZZ_LOG === '1';

const ENV = { ...SEED_ENV, [BLANK_VAR]: '' };
const RESOLVED = Symbol.for('switchyard.resolvedConfig');

let dir: string;
let seeds: ConfigSeed[] = [];
let sims: SimServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'config-fuzz-'));
  ({ seeds, sims } = await configSeeds(join(dir, 'demo')));
});

afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Every path of the tree as problems name them (`deployments[0].api_key`). A node inside itself (an
 * alias in its own anchor) is walked once, as the loader reads it.
 */
function treePaths(node: unknown, prefix: Array<string | number> = [], out = new Set<string>(), inside = new Set<object>()): Set<string> {
  out.add(formatPath(prefix));
  if (typeof node !== 'object' || node === null || inside.has(node)) return out;
  inside.add(node);
  const entries: Array<[string | number, unknown]> = Array.isArray(node) ? node.map((v: unknown, i) => [i, v]) : Object.entries(node);
  for (const [k, v] of entries) treePaths(v, [...prefix, k], out, inside);
  inside.delete(node);
  return out;
}

/**
 * The mutant's tree as the loader builds it, or undefined when the loader could not (then no problem may
 * name a place in it). Aliases are limited as the loader limits them: an alias bomb's tree shares its
 * nodes, but walking its paths would visit each of its billion copies.
 */
function mutantTree(text: string): unknown {
  try {
    return parse(text, { merge: true, maxAliasCount: MAX_ALIAS_COPIES, logLevel: 'error' }) as unknown;
  } catch {
    return undefined;
  }
}

/** The mutant's paths, walked once and only when a problem names a place. */
function placesOf(text: string): () => Set<string> {
  let paths: Set<string> | undefined;
  return () => (paths ??= treePaths(mutantTree(text)));
}

/** Why a problem's path is not one of the mutant's places (nor a key missing from one of them); undefined when it is. */
function badPath(problem: ConfigProblem, text: string, places: () => Set<string>): string | undefined {
  const { path } = problem;
  if (path === '(root)' || path === '(yaml)') return undefined;
  const line = /^line (\d+), column \d+$/.exec(path);
  if (line) return Number(line[1]) <= text.split('\n').length + 1 ? undefined : `line ${line[1]} is past the end`;
  const paths = places();
  if (paths.has(path)) return undefined;
  // A key missing from a place the mutant has (a required key dropped); a top-level key's place is the root.
  const parent = path.replace(/(^[^.[\]]+|\.[^.[\]]+|\[\d+\])$/, '') || '(root)';
  if (parent !== path && paths.has(parent)) return undefined;
  return `path "${path}" is not in the mutant`;
}

/** The config with its stores local (no database, no Redis) and its files in `at`. */
function local(config: GatewayConfig, at: string): GatewayConfig {
  const copy: GatewayConfig = {
    ...config,
    ledger: {
      ...config.ledger,
      store: config.ledger.store === 'postgres' ? 'sqlite' : config.ledger.store,
      path: join(at, 'ledger.sqlite'),
      spill_path: join(at, 'spill.jsonl'),
      journal_dir: join(at, 'journal'),
    },
    state: { ...config.state, store: 'memory' },
    cache: { ...config.cache, store: 'memory' },
    budgets: { ...config.budgets, state: 'memory' },
  };
  Object.defineProperty(copy, RESOLVED, { value: true, enumerable: false });
  return copy;
}

/** A build or close that never settles: `serve` would hang at start or at reload. */
class Stalled extends Error {}

const STALL_MS = 5_000;

async function settled<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Stalled(`${what} did not settle in ${STALL_MS} ms`)), STALL_MS);
  });
  try {
    return await Promise.race([work, stall]);
  } finally {
    clearTimeout(timer);
  }
}

interface Finding {
  seed: string;
  index: number;
  label: string;
  what: string;
}

const describeError = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message.slice(0, 300)}${err.stack ? `\n${err.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : String(err));

/** One mutant through the loader and, when accepted and `build`, through the app build. */
async function run(seed: ConfigSeed, index: number, mutant: ConfigMutant, build: boolean): Promise<{ findings: Finding[]; accepted: boolean }> {
  const found = (what: string): Finding => ({ seed: seed.name, index, label: mutant.label, what });
  // Named before it runs, so a case that takes the process down (out of memory) is known.
  if (LOG) process.stderr.write(`fuzz ${seed.name} #${index}${build ? ' (build)' : ''}: ${mutant.label.slice(0, 200)}\n`);
  let config: GatewayConfig;
  try {
    config = parseConfigText(mutant.text, 'fuzz.yaml', ENV);
  } catch (err) {
    if (!(err instanceof ConfigError)) return { findings: [found(`loader threw ${describeError(err)}`)], accepted: false };
    const paths = placesOf(mutant.text);
    const out: Finding[] = [];
    if (err.problems.length === 0) out.push(found('ConfigError without problems'));
    for (const p of err.problems) {
      const bad = badPath(p, mutant.text, paths);
      if (bad) out.push(found(`${bad}: ${p.message}`));
      if (p.message.includes(SECRET_CANARY) || err.message.includes(SECRET_CANARY)) out.push(found(`problem quotes a secret at ${p.path}`));
      if (/\n\s+at /.test(p.message)) out.push(found(`a stack trace at ${p.path}`));
    }
    return { findings: out, accepted: false };
  }
  const reach = checkReach(config);
  const paths = placesOf(mutant.text);
  const out = reach.errors.flatMap((p) => {
    const bad = badPath(p, mutant.text, paths);
    return bad ? [found(`reach: ${bad}: ${p.message}`)] : [];
  });
  if (!build || reach.errors.length > 0) return { findings: out, accepted: true };
  const at = mkdtempSync(join(dir, 'app-'));
  try {
    const app = await settled(createApp(local(config, at)), 'createApp');
    app.gateway.status();
    await settled(app.close(), 'close');
  } catch (err) {
    if (!(err instanceof ConfigError)) out.push(found(err instanceof Stalled ? err.message : `createApp threw ${describeError(err)}`));
  }
  return { findings: out, accepted: true };
}

describe('config fuzzer', () => {
  it('starts from every config the repository ships, each valid and building an app', async () => {
    expect(seeds.length).toBeGreaterThan(12);
    for (const seed of seeds) {
      const result = await run(seed, -1, { label: 'unchanged', text: JSON.stringify(seed.tree) }, true);
      expect(result).toEqual({ findings: [], accepted: true });
    }
  });

  it('gives every mutant of them one clear error naming a path it has, or builds it without an exception', async () => {
    const findings: Finding[] = [];
    let accepted = 0;
    for (const [si, seed] of seeds.entries()) {
      let builds = 0;
      for (let index = 0; index < CASES; index += 1) {
        const mutant = mutateConfig(seed.tree, FUZZ_SEED + si * 7_919, index);
        const result = await run(seed, index, mutant, builds < BUILDS);
        findings.push(...result.findings);
        if (result.accepted) {
          accepted += 1;
          builds += 1;
        }
      }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(findings).toEqual([]);
  }, CASES * 5_000);
});
