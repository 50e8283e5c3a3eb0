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
const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches']);
/** Kinds without a namespace among those we ship; kustomize leaves their namespace unset too. */
const CLUSTER_SCOPED = new Set(['Namespace']);

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
 * Strategic merge for map-only patches: maps merge key by key, scalars replace, null deletes. That is
 * exactly what strategic merge does when a patch holds no list; a patch with a list (where strategic
 * merge would merge by key, e.g. containers by name) is refused.
 */
function mergeMaps(target: Json, patch: Json, where: string): Json {
  const out: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (Array.isArray(value)) throw new Error(`${where}.${key}: list patches are not supported by this renderer`);
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = mergeMaps(out[key], value, `${where}.${key}`);
    else out[key] = value;
  }
  return out;
}

const idOf = (o: K8sObject): string => `${o.apiVersion}/${o.kind}/${o.metadata.name}`;

/**
 * Renders a kustomization directory the way `kubectl kustomize` does, for the subset of kustomize the
 * manifests in deploy/kubernetes use: `resources` (files and directories), `namespace`, and `patches`
 * given by path whose targets are named by the patch's own apiVersion, kind and name.
 */
export function renderKustomization(dir: string): K8sObject[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Json;
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${dir}/kustomization.yaml: "${key}" is not supported by this renderer`);
  let objects: K8sObject[] = [];
  for (const res of (k.resources ?? []) as string[]) {
    const path = join(dir, res);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readObjects(path)));
  }
  for (const p of (k.patches ?? []) as Json[]) {
    if (Object.keys(p).join() !== 'path') throw new Error(`${dir}: only patches given by path are supported`);
    const file = join(dir, p.path as string);
    for (const patch of readObjects(file)) {
      const i = objects.findIndex((o) => idOf(o) === idOf(patch));
      if (i === -1) throw new Error(`${file}: no ${idOf(patch)} to patch`);
      objects[i] = mergeMaps(objects[i], patch, file) as K8sObject;
    }
  }
  if (typeof k.namespace === 'string') {
    const ns = k.namespace;
    objects = objects.map((o) => (CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: ns } }));
  }
  return objects;
}
