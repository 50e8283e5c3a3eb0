/**
 * A seeded mutator of config trees and YAML texts for the config fuzzer: it damages one to three places
 * of a valid config (a dropped key, a value of another type, an empty or out-of-range value, an unknown
 * or prototype key, a duplicated list entry, a reference to an id that does not exist, a bad URL, a
 * `${ENV}` edge case) and, for a share of the cases, the YAML text itself (anchors and merge keys, alias
 * bombs, deep nesting, huge files, tags, several documents). Deterministic for a seed, so a failing case
 * is named by its seed and index and replays.
 */
import { stringify } from 'yaml';
import { seededRandom } from '../../core/random.js';

type Rng = () => number;
type Path = ReadonlyArray<string | number>;
type Container = Record<string | number, unknown>;

export interface ConfigMutant {
  /** Reproduces the case: what was done where. */
  label: string;
  /** The YAML text the loader reads. */
  text: string;
}

/** A variable the fuzz environment never sets, and one set to blanks. */
export const UNSET_VAR = 'FUZZ_UNSET_VAR';
export const BLANK_VAR = 'FUZZ_BLANK_VAR';

const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T;

const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** Every path in the tree below its root, containers and leaves alike. */
function paths(node: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  const entries: Array<[string | number, unknown]> = Array.isArray(node) ? node.map((v, i) => [i, v]) : isContainer(node) ? Object.entries(node) : [];
  for (const [k, v] of entries) {
    out.push([...prefix, k]);
    paths(v, [...prefix, k], out);
  }
  return out;
}

function at(tree: unknown, path: Path): unknown {
  let node = tree;
  for (const key of path) node = isContainer(node) ? node[key] : undefined;
  return node;
}

function parentOf(tree: unknown, path: Path): { parent: Container; key: string | number } | undefined {
  const parent = at(tree, path.slice(0, -1));
  const key = path[path.length - 1];
  return isContainer(parent) && key !== undefined ? { parent, key } : undefined;
}

function set(tree: unknown, path: Path, value: unknown): void {
  const place = parentOf(tree, path);
  if (place) place.parent[place.key] = value;
}

const OTHER_TYPES: unknown[] = ['text', 42, -7, [], {}, null, true, ['a', 1], { k: 'v' }, [{ id: 'x' }]];
const EMPTIES: unknown[] = ['', [], {}, ' ', null];
const NUMBERS: unknown[] = [-1, 0, -0, 0.5, 1e300, 2 ** 53 + 1, 2 ** 31, 2 ** 31 - 1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-9, '10', '1e3', '0x10'];
const URLS: unknown[] = [
  'ftp://files.example.com/v1',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'http://user:hunter2@api.example.com/v1',
  'https://api.example.com/v1?api_key=hunter2',
  'https://api.example.com/v1#frag',
  'http://169.254.169.254/latest/meta-data',
  'http://10.0.0.1:8080/v1',
  'http://[::1]:1/v1',
  'http://localhost:0/v1',
  'http://',
  'https://exa mple.com/',
  'api.example.com/v1',
  'https://api.example.com:99999/v1',
  'HTTPS://API.EXAMPLE.COM/V1',
  'redis://:hunter2@cache:6379/0',
  'postgres://u:hunter2@db/x',
  'unix:///var/run/sock',
];
const ENV_VALUES = [`\${${UNSET_VAR}}`, `\${${UNSET_VAR}:-}`, `\${${BLANK_VAR}}`, '${', '${}', '${1BAD}', '$${OPENAI_API_KEY}', `\${${UNSET_VAR}:-\${OPENAI_API_KEY}}`, `pre-\${${UNSET_VAR}:-x}-post`, '${OPENAI_API_KEY', 'file:', 'file:/nonexistent/fuzz-secret', 'file:relative/path'];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const MISSING_ID = 'fuzz-missing-id';

/** Keys whose string values name another entry: deployments in groups, groups in rate limits, keys' models. */
const REFERENCE_KEY = /^(deployments|default_group|group|groups|models|fallback|fallbacks|shadow|id|name|deployment|aliases)$/;
const URL_KEY = /(url|endpoint|webhook|base)$/i;

/** One damage at a random place of the tree (mutated in place); its label. */
function damage(tree: Record<string, unknown>, rng: Rng): string {
  const all = paths(tree);
  const path = pick(rng, all);
  const where = path.join('.');
  const value = at(tree, path);
  const kind = pick(rng, ['drop', 'type', 'empty', 'number', 'unknown-key', 'prototype-key', 'duplicate', 'reference', 'url', 'env'] as const);
  switch (kind) {
    case 'drop': {
      const place = parentOf(tree, path);
      if (!place) return 'nothing';
      if (Array.isArray(place.parent)) place.parent.splice(Number(place.key), 1);
      else delete place.parent[place.key];
      return `drop ${where}`;
    }
    case 'type': {
      const v = pick(rng, OTHER_TYPES);
      set(tree, path, structuredClone(v));
      return `type ${where} = ${JSON.stringify(v)}`;
    }
    case 'empty': {
      const v = pick(rng, EMPTIES);
      set(tree, path, structuredClone(v));
      return `empty ${where} = ${JSON.stringify(v)}`;
    }
    case 'number': {
      // Numbers land mostly where numbers already are.
      const numeric = all.filter((p) => typeof at(tree, p) === 'number');
      const target = numeric.length > 0 && rng() < 0.8 ? pick(rng, numeric) : path;
      const v = pick(rng, NUMBERS);
      set(tree, target, v);
      return `number ${target.join('.')} = ${String(v)}`;
    }
    case 'unknown-key':
    case 'prototype-key': {
      const objects = [[], ...all].filter((p) => isContainer(at(tree, p)) && !Array.isArray(at(tree, p)));
      const target = pick(rng, objects);
      const key = kind === 'unknown-key' ? pick(rng, ['fuzz_unknown', 'Id', 'api_kye', 'enabled ', '']) : pick(rng, PROTOTYPE_KEYS);
      const object = at(tree, target) as Container;
      Object.defineProperty(object, key, { value: pick(rng, [{ polluted: true }, 'x', 1, null]), enumerable: true, configurable: true, writable: true });
      return `${kind} ${target.join('.') || '(root)'}.${key}`;
    }
    case 'duplicate': {
      const lists = all.filter((p) => Array.isArray(at(tree, p)) && (at(tree, p) as unknown[]).length > 0);
      if (lists.length === 0) return 'nothing';
      const target = pick(rng, lists);
      const list = at(tree, target) as unknown[];
      const i = Math.floor(rng() * list.length);
      list.splice(i, 0, structuredClone(list[i]));
      return `duplicate ${target.join('.')}[${i}]`;
    }
    case 'reference': {
      const refs = all.filter((p) => typeof at(tree, p) === 'string' && p.some((k) => typeof k === 'string' && REFERENCE_KEY.test(k)));
      if (refs.length === 0) return 'nothing';
      const target = pick(rng, refs);
      set(tree, target, MISSING_ID);
      return `reference ${target.join('.')} = ${MISSING_ID}`;
    }
    case 'url': {
      const urls = all.filter((p) => typeof at(tree, p) === 'string' && (URL_KEY.test(String(p[p.length - 1])) || /^https?:/.test(String(at(tree, p)))));
      const target = urls.length > 0 ? pick(rng, urls) : path;
      const v = pick(rng, URLS);
      set(tree, target, v);
      return `url ${target.join('.')} = ${String(v)}`;
    }
    case 'env': {
      const strings = all.filter((p) => typeof at(tree, p) === 'string');
      const target = strings.length > 0 ? pick(rng, strings) : path;
      const v = pick(rng, ENV_VALUES);
      set(tree, target, v);
      return `env ${target.join('.')} = ${v}`;
    }
  }
  return typeof value;
}

/** A deployment of the tree turned into an anchor block and merge keys, with a twist. */
function anchors(tree: Record<string, unknown>, rng: Rng): ConfigMutant {
  const deployments = Array.isArray(tree.deployments) ? (tree.deployments as unknown[]) : [];
  const first = deployments[0];
  const base = stringify({ ...tree, deployments: deployments.slice(1) });
  const entry = isContainer(first) ? Object.entries(first) : [];
  const shared = Object.fromEntries(entry.filter(([k]) => k !== 'id'));
  const twist = pick(rng, ['plain', 'override', 'scalar-merge', 'list-merge', 'missing-anchor', 'merge-in-list', 'anchor-cycle'] as const);
  const anchorBlock = `x-shared: &shared\n${indent(stringify(shared), 2)}`;
  const id = isContainer(first) ? String(first.id) : 'fuzz-deployment';
  const merged: Record<(typeof twist), string> = {
    plain: `  - <<: *shared\n    id: ${id}\n`,
    override: `  - <<: *shared\n    id: ${id}\n    model: fuzz-override-model\n`,
    'scalar-merge': `  - <<: 5\n    id: ${id}\n`,
    'list-merge': `  - <<: [*shared, *shared]\n    id: ${id}\n`,
    'missing-anchor': `  - <<: *nowhere\n    id: ${id}\n`,
    'merge-in-list': `  - *shared\n`,
    'anchor-cycle': `  - &loop\n    id: ${id}\n    fuzz_self: *loop\n`,
  };
  const text = `${anchorBlock}\n${base.replace(/^deployments:.*\n/m, `deployments:\n${merged[twist]}`)}`;
  return { label: `yaml anchors ${twist}`, text: base.includes('deployments:') ? text : `${anchorBlock}\ndeployments:\n${merged[twist]}${base}` };
}

const indent = (text: string, n: number): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : ' '.repeat(n) + l))
    .join('\n');

/** Damage to the YAML text itself. */
function textMutant(tree: Record<string, unknown>, rng: Rng): ConfigMutant {
  const yaml = stringify(tree);
  const kind = pick(rng, ['anchors', 'alias-bomb', 'deep-flow', 'deep-block', 'huge', 'long-string', 'documents', 'bom', 'tags', 'top-level', 'nul', 'tabs', 'duplicate-key', 'complex-key'] as const);
  switch (kind) {
    case 'anchors':
      return anchors(structuredClone(tree), rng);
    case 'alias-bomb': {
      const lines = ['x-a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i += 1) lines.push(`x-${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array.from({ length: 10 }, () => `*${'abcdefghij'[i - 1]}`).join(', ')}]`);
      return { label: 'yaml alias bomb', text: `${lines.join('\n')}\n${yaml}` };
    }
    case 'deep-flow': {
      const depth = pick(rng, [100, 1_000, 5_000]);
      const key = pick(rng, ['x-deep', 'pricing', 'fuzz_deep', 'server']);
      return { label: `yaml ${depth} nested flow lists at ${key}`, text: `${key}: ${'['.repeat(depth)}${']'.repeat(depth)}\n${yaml.replace(new RegExp(`^${key}:`, 'm'), 'x-replaced:')}` };
    }
    case 'deep-block': {
      const depth = pick(rng, [100, 500]);
      const lines = Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`);
      return { label: `yaml ${depth} nested mappings`, text: `x-deep:\n${indent(lines.join('\n'), 1)} end\n${yaml}` };
    }
    case 'huge': {
      const deployments = Array.isArray(tree.deployments) ? (tree.deployments as unknown[]) : [];
      const first = isContainer(deployments[0]) ? deployments[0] : { provider: 'openai-compatible', model: 'm', endpoint: 'https://api.example.com/v1' };
      const n = pick(rng, [200, 500]);
      const many = Array.from({ length: n }, (_, i) => ({ ...first, id: `fuzz-${i}` }));
      const groups = [...(Array.isArray(tree.groups) ? (tree.groups as unknown[]) : []), { name: 'fuzz-huge', deployments: many.map((d) => d.id) }];
      return { label: `huge: ${n} more deployments`, text: stringify({ ...tree, deployments: [...deployments, ...many], groups }) };
    }
    case 'long-string': {
      const strings = paths(tree).filter((p) => typeof at(tree, p) === 'string');
      const copy = structuredClone(tree);
      const target = strings.length > 0 ? pick(rng, strings) : ['fuzz'];
      set(copy, target, 'x'.repeat(pick(rng, [10_000, 200_000])));
      return { label: `long string at ${target.join('.')}`, text: stringify(copy) };
    }
    case 'documents':
      return { label: 'two YAML documents', text: `${yaml}---\n${yaml}` };
    case 'bom':
      return { label: 'BOM and CRLF', text: `\uFEFF${yaml.replace(/\n/g, '\r\n')}` };
    case 'tags': {
      const tag = pick(rng, ['!!binary aGVsbG8=', '!!set {a, b}', '!!omap [a: 1]', '!custom x', '!!timestamp 2024-01-01', '!!float 1', '!!str 5', '!!int "7"', '!!null x']);
      const keys = Object.keys(tree);
      const key = pick(rng, keys.length > 0 ? keys : ['server']);
      return { label: `tag ${tag} at ${key}`, text: `${yaml.replace(new RegExp(`^${key}:`, 'm'), 'x-replaced:')}${key}: ${tag}\n` };
    }
    case 'top-level': {
      const text = pick(rng, ['', '# only a comment\n', '- a\n- b\n', '42\n', '"text"\n', 'null\n', '~\n', '[]\n', '{}\n']);
      return { label: `top level ${JSON.stringify(text)}`, text };
    }
    case 'nul':
      return { label: 'NUL byte', text: yaml.replace(/: (\w)/, ': \u0000$1') };
    case 'tabs':
      return { label: 'tab indentation', text: yaml.replace(/\n {2}/, '\n\t') };
    case 'duplicate-key': {
      const keys = Object.keys(tree);
      const key = pick(rng, keys.length > 0 ? keys : ['server']);
      return { label: `duplicate top-level key ${key}`, text: `${yaml}${key}: {}\n` };
    }
    case 'complex-key':
      return { label: 'complex mapping key', text: `${yaml}? [a, b]\n: c\n` };
  }
  return { label: 'unchanged', text: yaml };
}

/**
 * The `index`th mutant of `seed` under fuzz seed `fuzzSeed`: the tree damaged in one to three places,
 * or (one case in five) its YAML text damaged.
 */
export function mutateConfig(seed: Record<string, unknown>, fuzzSeed: number, index: number): ConfigMutant {
  const rng = seededRandom(fuzzSeed * 1_000_003 + index);
  const tree = structuredClone(seed);
  if (rng() < 0.2) return textMutant(tree, rng);
  const count = 1 + Math.floor(rng() * rng() * 3);
  const labels: string[] = [];
  for (let i = 0; i < count; i += 1) labels.push(damage(tree, rng));
  return { label: labels.join('; '), text: stringify(tree, { aliasDuplicateObjects: false }) };
}
