import { posix } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import type { IConfigMap } from 'kubernetes-models/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IIoK8sApiCoreV1Container as Container } from 'kubernetes-models/v1/Container';
import { parseConfig } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import type { K8sObject } from './render.js';

/** The one object of a kind (and name) among a kustomization's rendered objects; `where` names them in failures. */
export function onlyOne<T>(objects: K8sObject[], kind: string, name: string | undefined, where: string): T {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${where}: one ${kind}${name ? ` ${name}` : ''}`).toHaveLength(1);
  return found[0] as unknown as T;
}

export const podSpecOf = (objects: K8sObject[], where: string) => onlyOne<IDeployment>(objects, 'Deployment', undefined, where).spec!.template.spec!;
export const containerOf = (objects: K8sObject[], where: string): Container => podSpecOf(objects, where).containers.find((c) => c.name === 'switchyard')!;

/** The config file the pods read: the ConfigMap key the container's `--config` path points at. */
export function configTextOf(objects: K8sObject[], where: string): string {
  const c = containerOf(objects, where);
  const path = c.args![c.args!.indexOf('--config') + 1];
  const mount = c.volumeMounts!.find((m) => path.startsWith(`${m.mountPath}/`))!;
  const volume = podSpecOf(objects, where).volumes!.find((v) => v.name === mount.name)!;
  const cm = onlyOne<IConfigMap>(objects, 'ConfigMap', volume.configMap!.name, where);
  const text = cm.data?.[posix.relative(mount.mountPath, path)];
  expect(text, `${where}: ${path} is a key of ConfigMap ${cm.metadata!.name}`).toBeTypeOf('string');
  return text!;
}

/** A stand-in for a Secret's value; the store URLs must parse as the stores' URLs (the config checks them). */
const STUB_URLS: Record<string, string> = { DATABASE_URL: 'postgres://stub@db:5432/switchyard', REDIS_URL: 'redis://stub@redis:6379' };
export const stub = (name: string): string => STUB_URLS[name] ?? `stub-${name.toLowerCase()}`;

/**
 * The environment the gateway's process gets in the pod: the container's literal `env` values, a
 * stand-in for each variable from a Secret (its `secretKeyRef`s, and for `envFrom`'s Secret the config's
 * `${VAR}` references without a default, which that Secret must hold). A `${VAR:-default}` the pod does
 * not set keeps its default.
 */
export function podEnvOf(objects: K8sObject[], where: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of configTextOf(objects, where).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[m[1]] = stub(m[1]);
  for (const e of containerOf(objects, where).env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = stub(e.name);
  }
  return env;
}

/** The config as the gateway would run it in the pod: validated by the real schema, so defaults come from the code. */
export function gatewayConfigOf(objects: K8sObject[], where: string, raw: unknown = parse(configTextOf(objects, where)), env: Record<string, string> = podEnvOf(objects, where)): GatewayConfig {
  const result = parseConfig(raw, env);
  if (!result.ok) throw new Error(`${where}: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return result.config;
}

/** Milliseconds the container's preStop `sleep` pauses. */
export function preStopMs(objects: K8sObject[], where: string): number {
  const pause = containerOf(objects, where).lifecycle?.preStop?.exec?.command;
  expect(pause?.[0], `${where}: preStop sleeps`).toBe('sleep');
  return Number(pause?.[1]) * 1000;
}
