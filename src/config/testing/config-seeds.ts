/**
 * The valid configs the config fuzzer starts from: every config the repository ships. The reference
 * config of docs/CONFIG.md and each of its section examples merged into it (as `docs.test.ts` merges
 * them), the deploy/ templates (docker, Cloud Run, SAM, Azure Functions, the Kubernetes base and
 * overlays' ConfigMaps), and the demo's config over its started simulators.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { demoConfig } from '../../cli/demo.js';
import { DEMO_UPSTREAMS } from '../../cli/demo-upstreams.js';
import type { SimServer } from '../../sim/server.js';

export interface ConfigSeed {
  name: string;
  /** The parsed YAML tree (before `${ENV}` interpolation). */
  tree: Record<string, unknown>;
}

/** A value each secret variable resolves to; no problem message may ever quote it. */
export const SECRET_CANARY = 'fuzz-secret-canary-4f1e';

/**
 * The environment every seed validates in. Secrets carry the canary; the rest hold what the templates
 * expect (store URLs stay empty, so the seeds build without a database).
 */
export const SEED_ENV: Readonly<Record<string, string>> = {
  SEARCH_TEAM_KEY: `${SECRET_CANARY}-1`,
  OPS_KEY: `${SECRET_CANARY}-2`,
  OPENAI_API_KEY: `${SECRET_CANARY}-3`,
  AZURE_OPENAI_KEY: `${SECRET_CANARY}-4`,
  ANTHROPIC_API_KEY: `${SECRET_CANARY}-5`,
  SWITCHYARD_METRICS_KEY: `${SECRET_CANARY}-6`,
  SWITCHYARD_KEY_SECRET: `${SECRET_CANARY}-an-hmac-secret-of-at-least-32-characters`,
  SWITCHYARD_API_KEY: `${SECRET_CANARY}-7`,
  SWITCHYARD_CLIENT_KEY: `${SECRET_CANARY}-8`,
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: `${SECRET_CANARY}-9`,
  AWS_SESSION_TOKEN: `${SECRET_CANARY}-10`,
  AZURE_CLIENT_SECRET: `${SECRET_CANARY}-11`,
  DATABASE_URL: `postgres://switchyard:${SECRET_CANARY}@db.internal:5432/switchyard`,
};

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

const asTree = (text: string): Record<string, unknown> => parse(text, { merge: true }) as Record<string, unknown>;

/** docs/CONFIG.md: the reference config, then each section example merged into it. */
function docSeeds(): ConfigSeed[] {
  const doc = read('docs/CONFIG.md');
  const blocks = [...doc.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```/gm)].map(([, indent = '', body = '']) =>
    body
      .split('\n')
      .map((line) => line.slice(indent.length))
      .join('\n'),
  );
  const reference = asTree(blocks[0] ?? '');
  return [
    { name: 'docs/CONFIG.md reference', tree: reference },
    ...blocks.slice(1).map((block, i) => {
      const merged: Record<string, unknown> = structuredClone(reference);
      for (const [key, value] of Object.entries(asTree(block))) {
        const there = merged[key];
        merged[key] = Array.isArray(value) && Array.isArray(there) ? [...(there as unknown[]), ...(value as unknown[])] : value;
      }
      return { name: `docs/CONFIG.md yaml block ${i + 2}`, tree: merged };
    }),
  ];
}

const DEPLOY_FILES = ['deploy/docker/switchyard.yaml', 'deploy/gcp/switchyard.yaml', 'deploy/aws-sam/config/switchyard.yaml', 'deploy/azure/app/switchyard.yaml'];
const CONFIG_MAPS = ['base', 'overlays/aks', 'overlays/eks', 'overlays/gke'].map((dir) => `deploy/kubernetes/${dir}/configmap.yaml`);

/** The deploy/ templates, and the config each Kubernetes ConfigMap carries. */
function deploySeeds(): ConfigSeed[] {
  const files = DEPLOY_FILES.map((path) => ({ name: path, tree: asTree(read(path)) }));
  const maps = CONFIG_MAPS.flatMap((path) => {
    const data = (asTree(read(path)).data ?? {}) as Record<string, unknown>;
    const text = data['switchyard.yaml'];
    return typeof text === 'string' ? [{ name: path, tree: asTree(text) }] : [];
  });
  return [...files, ...maps];
}

/** Every shipped seed; the demo's names its simulators, which run until the caller closes `sims`. */
export async function configSeeds(dataDir: string): Promise<{ seeds: ConfigSeed[]; sims: SimServer[] }> {
  const upstreams = await Promise.all(DEMO_UPSTREAMS.map((start) => start()));
  const demo = JSON.parse(JSON.stringify(demoConfig(upstreams, { dataDir }))) as Record<string, unknown>;
  return { seeds: [...docSeeds(), ...deploySeeds(), { name: 'demo', tree: demo }], sims: upstreams.map((u) => u.sim) };
}
