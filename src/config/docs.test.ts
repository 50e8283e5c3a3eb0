import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfigText } from './load.js';
import { configShapeSchema, deploymentSchema } from './schema.js';
import { PROVIDERS } from '../providers/registry.js';
import { explainResidency } from '../routing/explain.js';

const doc = readFileSync(new URL('../../docs/CONFIG.md', import.meta.url), 'utf8');

/** Every ```yaml block of the doc, unindented (one sits in a list item). */
const yamlBlocks = [...doc.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```/gm)].map(([, indent = '', body = '']) =>
  body
    .split('\n')
    .map((line) => line.slice(indent.length))
    .join('\n'),
);

const ENV = {
  SEARCH_TEAM_KEY: 'k1',
  OPS_KEY: 'k5',
  OPENAI_API_KEY: 'k2',
  AZURE_OPENAI_KEY: 'k3',
  ANTHROPIC_API_KEY: 'k4',
  SWITCHYARD_METRICS_KEY: 'k6',
  SWITCHYARD_KEY_SECRET: 'an-hmac-secret-of-at-least-32-characters',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'token',
  AZURE_CLIENT_SECRET: 'secret',
};

// The reference config in the docs must stay valid: a doc that drifts from the schema misleads.
describe('docs/CONFIG.md', () => {
  it('holds a config that validates', () => {
    const yaml = yamlBlocks[0];
    expect(yaml).toBeDefined();
    const config = parseConfigText(yaml ?? '', 'docs/CONFIG.md', ENV);
    expect(config.deployments.map((d) => d.provider)).toEqual(['openai-compatible', 'bedrock', 'azure-openai', 'vertex', 'anthropic', 'openai-compatible']);
    expect(config.groups.map((g) => g.name)).toEqual(['coding', 'simple', 'analysis', 'vision', 'long-context']);
  });

  it('holds section examples that validate in the reference config, and a residency example it keeps', () => {
    // A fragment's top-level lists are added to the reference's, its other sections replace them.
    expect(yamlBlocks.length).toBeGreaterThan(4);
    const reference = parse(yamlBlocks[0] ?? '') as Record<string, unknown>;
    for (const [i, block] of yamlBlocks.slice(1).entries()) {
      const merged: Record<string, unknown> = { ...reference };
      for (const [key, value] of Object.entries(parse(block) as Record<string, unknown>)) {
        const there = merged[key];
        merged[key] = Array.isArray(value) && Array.isArray(there) ? [...(there as unknown[]), ...(value as unknown[])] : value;
      }
      const config = parseConfigText(stringify(merged), `docs/CONFIG.md yaml block ${i + 2}`, ENV);
      // The residency example once named eu-* and europe-* only: the reference's EU Azure region leaked.
      if ('residency' in merged) expect(explainResidency(config).leaks).toEqual([]);
    }
  });

  it('names every config key the schema and the providers take', () => {
    const keys = new Set<string>();
    collectKeys(configShapeSchema, keys);
    collectKeys(deploymentSchema, keys);
    for (const provider of PROVIDERS) collectKeys(provider.options(), keys);
    expect(keys.size).toBeGreaterThan(150);
    // Named as a key: written `key:` in an example (commented out counts) or in code in the prose. A bare
    // word once passed: `ledger.schema` for "a closed schema", `state.key_prefix` for `<key_prefix>`.
    const examples = yamlBlocks.join('\n');
    const code = [...doc.replace(/^( *)```[\s\S]*?^\1```/gm, '').matchAll(/`([^`]+)`/g)].map((m) => m[1]).join('\n');
    const named = (key: string): boolean =>
      new RegExp(`(^|[\\s{,#-])${key}:`, 'm').test(examples) || new RegExp(`(^|[^\\w<-])${key}(?![\\w>-])`).test(code);
    expect([...keys].filter((key) => !named(key))).toEqual([]);
  });
});

interface ZodDef {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
  element?: unknown;
  options?: unknown[];
  left?: unknown;
  right?: unknown;
  valueType?: unknown;
  getter?: () => unknown;
}

/** Every object key of a zod schema, however deep (objects, arrays, unions, records, wrappers). */
function collectKeys(schema: unknown, keys: Set<string>, depth = 0): void {
  const def = (schema as { _zod?: { def?: ZodDef } } | undefined)?._zod?.def;
  if (def === undefined || depth > 16) return;
  const next = (s: unknown): void => collectKeys(s, keys, depth + 1);
  if (def.shape) {
    for (const [key, value] of Object.entries(def.shape)) {
      keys.add(key);
      next(value);
    }
  }
  for (const s of [def.innerType, def.in, def.out, def.element, def.left, def.right, def.valueType, ...(def.options ?? [])]) next(s);
  if (def.type === 'lazy' && def.getter) next(def.getter());
}
