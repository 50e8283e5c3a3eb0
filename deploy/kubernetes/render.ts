import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** A Kubernetes object as YAML gives it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

type Json = Record<string, unknown>;

/** The only kustomization fields these manifests use; anything else is refused, not half-rendered. */
const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'components', 'patches']);
/** The two kinds of kustomization file: what `resources` names, and what `components` names. */
const KINDS = { Kustomization: 'kustomize.config.k8s.io/v1beta1', Component: 'kustomize.config.k8s.io/v1alpha1' } as const;
type Kind = keyof typeof KINDS;
/** Kinds without a namespace among those we ship; kustomize leaves their namespace unset too. */
const CLUSTER_SCOPED = new Set(['Namespace']);
/**
 * The lists a strategic-merge patch may hold here, by kind and path (`[]` stands for every item), with
 * their strategy from the Kubernetes API: merged item by item on a key, or replaced whole (atomic). A
 * list elsewhere is refused rather than guessed.
 */
const LISTS: Record<string, { mergeKey: string } | 'replace'> = {
  'Deployment:spec.template.spec.containers': { mergeKey: 'name' },
  'Deployment:spec.template.spec.containers[].env': { mergeKey: 'name' },
  'Deployment:spec.template.spec.containers[].lifecycle.preStop.exec.command': 'replace',
  'NetworkPolicy:spec.egress': 'replace',
};

function isMap(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function readObjects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/**
 * Strategic merge as kustomize applies it, for the lists in LISTS: maps merge key by key, scalars
 * replace, null deletes; a keyed list takes the patch's items first, each merged into the target's item
 * of the same key, then the target's other items in their order; an atomic list is replaced.
 */
function merge(target: Json, patch: Json, kind: string, path: string, where: string): Json {
  const out: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (key.startsWith('$')) throw new Error(`${where}: directive ${at} is not supported by this renderer`);
    if (Array.isArray(value)) out[key] = mergeList(out[key], value, kind, at, where);
    else if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = merge(out[key], value, kind, at, where);
    else out[key] = value;
  }
  return out;
}

function mergeList(target: unknown, patch: unknown[], kind: string, path: string, where: string): unknown[] {
  const strategy = LISTS[`${kind}:${path}`];
  if (strategy === undefined) throw new Error(`${where}: list patch on ${kind} ${path} is not supported by this renderer`);
  if (strategy === 'replace') return patch;
  const { mergeKey } = strategy;
  const items = Array.isArray(target) ? (target as unknown[]) : [];
  const keyOf = (item: unknown, from: string): unknown => {
    if (!isMap(item) || item[mergeKey] === undefined) throw new Error(`${where}: an item of ${path} in the ${from} has no ${mergeKey}`);
    return item[mergeKey];
  };
  const patched = patch.map((item) => {
    const key = keyOf(item, 'patch');
    const match = items.find((t) => keyOf(t, 'target') === key);
    return match === undefined ? item : merge(match as Json, item as Json, kind, `${path}[]`, where);
  });
  const keys = new Set(patch.map((item) => keyOf(item, 'patch')));
  return [...patched, ...items.filter((t) => !keys.has(keyOf(t, 'target')))];
}

const idOf = (o: K8sObject): string => `${o.apiVersion}/${o.kind}/${o.metadata.name}`;

/**
 * Renders a kustomization directory the way `kubectl kustomize` does, for the subset of kustomize the
 * manifests in deploy/kubernetes use: `resources` (files and directories), `components`, `namespace`,
 * and `patches` given by path whose targets are named by the patch's own apiVersion, kind and name
 * (strategic merge, with the lists in LISTS).
 */
export function renderKustomization(dir: string): K8sObject[] {
  return build(dir, 'Kustomization', []);
}

/**
 * One kustomization in kustomize's order: its resources join what it was given (a Component is given
 * what its parent has accumulated so far, a Kustomization nothing), then its components, its patches
 * and its namespace apply to all of it.
 */
function build(dir: string, expected: Kind, given: K8sObject[]): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8')) as Json;
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${file}: "${key}" is not supported by this renderer`);
  const kind = (k.kind ?? 'Kustomization') as string;
  if (kind !== expected) throw new Error(`${file}: expected kind ${expected}, found ${kind}`);
  if (k.apiVersion !== undefined && k.apiVersion !== KINDS[expected]) throw new Error(`${file}: a ${expected} is ${KINDS[expected]}`);
  let objects: K8sObject[] = [...given];
  for (const res of (k.resources ?? []) as string[]) {
    const path = join(dir, res);
    objects.push(...(statSync(path).isDirectory() ? build(path, 'Kustomization', []) : readObjects(path)));
  }
  for (const component of (k.components ?? []) as string[]) objects = build(join(dir, component), 'Component', objects);
  for (const p of (k.patches ?? []) as Json[]) {
    if (Object.keys(p).join() !== 'path') throw new Error(`${dir}: only patches given by path are supported`);
    const patchFile = join(dir, p.path as string);
    for (const patch of readObjects(patchFile)) {
      const i = objects.findIndex((o) => idOf(o) === idOf(patch));
      if (i === -1) throw new Error(`${patchFile}: no ${idOf(patch)} to patch`);
      objects[i] = merge(objects[i], patch, patch.kind, '', patchFile) as K8sObject;
    }
  }
  if (typeof k.namespace === 'string') {
    const ns = k.namespace;
    objects = objects.map((o) => (CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: ns } }));
  }
  return objects;
}
