import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigMap, Namespace, Service, ServiceAccount, type IService, type IServiceAccount } from 'kubernetes-models/v1';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IIoK8sApiCoreV1Container as Container } from 'kubernetes-models/v1/Container';
import type { GatewayConfig } from '../../src/config/schema.js';
import { metricsArePublic } from '../../src/observability/config.js';
import { createApp } from '../../src/app.js';
import { startServer } from '../../src/adapters/node/server.js';
import { renderKustomization, type K8sObject } from './render.js';
import { kubectlInstalled, kubectlKustomize } from './kubectl.js';
import { configTextOf, containerOf, gatewayConfigOf, onlyOne, podEnvOf, podSpecOf, preStopMs } from './testing.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const SHIPPED = ['base', 'overlays/eks', 'overlays/gke', 'overlays/gke-spot', 'overlays/aks'] as const;
type Shipped = (typeof SHIPPED)[number];
const SHARED_STORES = 'components/shared-stores';
/** Each shipped kustomization as is, and with the shared-stores component, as docs/DEPLOY.md adds it. */
const TARGETS = [...SHIPPED, ...SHIPPED.map((t) => `${t} + shared-stores` as const)] as const;
type Target = (typeof TARGETS)[number];
const sharesStores = (t: Target): boolean => t.endsWith(' + shared-stores');
const shippedOf = (t: Target): Shipped => t.replace(' + shared-stores', '') as Shipped;
/** The GKE overlays: Workload Identity, the metadata server's egress and the load balancer's BackendConfig. */
const onGke = (t: Target): boolean => shippedOf(t).startsWith('overlays/gke');

/** Every kind we ship, with its schema from kubernetes-models; an unknown kind fails the test. */
const MODELS: Record<string, (o: K8sObject) => void> = {
  'v1/Namespace': (o) => new Namespace(o as never).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never).validate(),
  'v1/ConfigMap': (o) => new ConfigMap(o as never).validate(),
  'v1/Service': (o) => new Service(o as never).validate(),
  'apps/v1/Deployment': (o) => new Deployment(o as never).validate(),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o as never).validate(),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never).validate(),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o as never).validate(),
  'cloud.google.com/v1/BackendConfig': validateBackendConfig,
};

/**
 * GKE's BackendConfig, for the fields we set (kubernetes-models ships no GKE kinds): whole seconds where
 * the CRD takes integers, and nothing else in `spec`.
 */
function validateBackendConfig(o: K8sObject): void {
  const spec = o.spec as { timeoutSec?: unknown; connectionDraining?: { drainingTimeoutSec?: unknown } } | undefined;
  const extra = Object.keys(spec ?? {}).filter((k) => !['timeoutSec', 'connectionDraining'].includes(k));
  if (extra.length > 0) throw new Error(`BackendConfig: fields not checked here: ${extra.join(', ')}`);
  for (const [field, value] of [['timeoutSec', spec?.timeoutSec], ['connectionDraining.drainingTimeoutSec', spec?.connectionDraining?.drainingTimeoutSec]] as const) {
    if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`BackendConfig: ${field} must be a positive integer`);
  }
}

/** Users' overlays on ours, written the way docs/DEPLOY.md shows: `resources` one of ours, `components` the shared stores. */
const USERS = mkdtempSync(join(tmpdir(), 'switchyard-k8s-overlays-'));
afterAll(() => rmSync(USERS, { recursive: true, force: true }));
function kustomizationDir(t: Target): string {
  if (!sharesStores(t)) return join(HERE, t);
  const dir = join(USERS, shippedOf(t).replace('/', '-'));
  mkdirSync(dir, { recursive: true });
  const from = (path: string) => relative(dir, join(HERE, path));
  writeFileSync(join(dir, 'kustomization.yaml'), `resources: [${from(shippedOf(t))}]\ncomponents: [${from(SHARED_STORES)}]\n`);
  return dir;
}

const rendered = new Map<Target, K8sObject[]>(TARGETS.map((t) => [t, renderKustomization(kustomizationDir(t))]));

/** Whether an IPv4 address is in a NetworkPolicy ipBlock (its `cidr`, minus its `except`s). */
function ipv4InBlock(address: string, block: { cidr: string; except?: string[] }): boolean {
  const inCidr = (cidr: string) => {
    const [net, bits] = cidr.split('/') as [string, string];
    if (net.includes(':')) return false;
    const value = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    const size = 2 ** (32 - Number(bits));
    return Math.floor(value(address) / size) === Math.floor(value(net) / size);
  };
  return inCidr(block.cidr) && !(block.except ?? []).some(inCidr);
}

const one = <T>(t: Target, kind: string, name?: string): T => onlyOne<T>(rendered.get(t)!, kind, name, t);
const podSpec = (t: Target) => podSpecOf(rendered.get(t)!, t);
const container = (t: Target): Container => containerOf(rendered.get(t)!, t);
const configText = (t: Target): string => configTextOf(rendered.get(t)!, t);
const podEnv = (t: Target): Record<string, string> => podEnvOf(rendered.get(t)!, t);
const gatewayConfig = (t: Target, raw?: unknown, env?: Record<string, string>): GatewayConfig => gatewayConfigOf(rendered.get(t)!, t, raw, env);

/** The PostgreSQL and Redis of the store specs (DATABASE_URL, REDIS_URL), standing in for the `switchyard-stores` Secret. */
const TEST_STORES = process.env.DATABASE_URL && process.env.REDIS_URL ? { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL } : undefined;

describe.each(TARGETS)('kubernetes manifests: %s', (target) => {
  it('every rendered object is valid against its Kubernetes schema', () => {
    const objects = rendered.get(target)!;
    expect(objects.length).toBeGreaterThanOrEqual(8);
    for (const o of objects) {
      const validate = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(validate, `${o.apiVersion} ${o.kind} has a schema`).toBeDefined();
      expect(() => validate(o), `${o.kind}/${o.metadata.name}`).not.toThrow();
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('switchyard');
    }
  });

  it('the config in the ConfigMap is valid, listens on all interfaces and writes only to the data volume', () => {
    const config = gatewayConfig(target);
    expect(config.server.host).toBe('0.0.0.0');
    const c = container(target);
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    const writable = c.volumeMounts!.filter((m) => !m.readOnly).map((m) => m.mountPath);
    for (const path of [config.ledger.path, config.ledger.spill_path, config.ledger.journal_dir]) {
      expect(writable.some((dir) => path.startsWith(`${dir}/`)), `${path} is on a writable volume (${writable.join(', ')})`).toBe(true);
    }
  });

  it('the container port, probes and Service match the port the config gives the server', () => {
    const port = gatewayConfig(target).server.port;
    const c = container(target);
    const http = c.ports!.find((p) => p.name === 'http');
    expect(http?.containerPort).toBe(port);
    expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const svc = one<IService>(target, 'Service');
    expect(svc.spec?.ports?.map((p) => p.targetPort)).toEqual(['http']);
    expect(svc.spec?.selector).toEqual(one<IDeployment>(target, 'Deployment').spec!.selector.matchLabels);
  });

  it('the termination grace period covers the preStop pause, the drain (server.shutdown_grace_ms) and a ledger flush', () => {
    const graceMs = gatewayConfig(target).server.shutdown_grace_ms;
    const pauseMs = preStopMs(rendered.get(target)!, target);
    // Spot's 15 s leave the endpoints' update less time (overlays/gke-spot/kustomization.yaml).
    expect(pauseMs).toBeGreaterThanOrEqual(shippedOf(target) === 'overlays/gke-spot' ? 2000 : 3000);
    const flushMarginMs = 5000;
    expect(podSpec(target).terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(pauseMs + graceMs + flushMarginMs);
  });

  it('runs unprivileged from the image of this version, spread across zones', () => {
    const spec = podSpec(target);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.securityContext!.runAsUser).toBeGreaterThan(0);
    expect(container(target).securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container(target).image).toBe(`switchyard:${PACKAGE.version}`);
    expect(container(target).resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    const labels = one<IDeployment>(target, 'Deployment').spec!.selector.matchLabels;
    const zone = spec.topologySpreadConstraints?.find((c) => c.topologyKey === 'topology.kubernetes.io/zone');
    expect(zone?.labelSelector?.matchLabels).toEqual(labels);
  });

  it('autoscales on CPU and on requests in flight, and keeps replicas through disruptions', () => {
    const hpa = one<IHorizontalPodAutoscaler>(target, 'HorizontalPodAutoscaler');
    expect(hpa.spec?.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: one<IDeployment>(target, 'Deployment').metadata!.name });
    expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(2);
    const metrics = hpa.spec?.metrics ?? [];
    expect(metrics.find((m) => m.type === 'Resource')?.resource).toMatchObject({ name: 'cpu', target: { type: 'Utilization' } });
    expect(metrics.find((m) => m.type === 'Pods')?.pods).toMatchObject({ metric: { name: 'switchyard_requests_in_flight' }, target: { type: 'AverageValue' } });
    const pdb = one<IPodDisruptionBudget>(target, 'PodDisruptionBudget');
    expect(pdb.spec?.selector?.matchLabels).toEqual(one<IDeployment>(target, 'Deployment').spec!.selector.matchLabels);
    expect(pdb.spec?.maxUnavailable).toBeLessThan(hpa.spec!.minReplicas!);
    // /readyz fails on every pod at once when every deployment is down: node drains must still evict them.
    expect(pdb.spec?.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  });

  it('lets Prometheus scrape the HPA\'s metric with a metrics-only key from a Secret of its own, and ships no admin key', () => {
    const raw = parse(configText(target)) as { api_keys: Array<{ id: string; key: string; role?: string }> };
    const keys = gatewayConfig(target).api_keys;
    expect(keys.filter((k) => k.role !== 'user').map((k) => [k.id, k.role])).toEqual([['metrics-scraper', 'metrics']]);
    expect(metricsArePublic(gatewayConfig(target))).toBe(false);
    const variable = /^\$\{(\w+)\}$/.exec(raw.api_keys.find((k) => k.id === 'metrics-scraper')!.key)?.[1];
    const c = container(target);
    const fromSecret = c.env?.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;
    expect(fromSecret?.name, `${variable} comes from a secretKeyRef`).toBeTypeOf('string');
    // Not the Secret every variable of the pod comes from (the clients' key, the providers' keys).
    expect(c.envFrom?.map((e) => e.secretRef?.name)).not.toContain(fromSecret!.name);
    const annotations = one<IDeployment>(target, 'Deployment').spec!.template.metadata!.annotations;
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics', 'prometheus.io/port': String(gatewayConfig(target).server.port) });
  });

  it('allows egress only to DNS, public HTTPS, the cloud identity endpoint and, with shared stores, the stores\' opted-in pods', () => {
    const policies = rendered.get(target)!.filter((o) => o.kind === 'NetworkPolicy') as unknown as INetworkPolicy[];
    const ports = new Set<string>();
    for (const p of policies) {
      expect(p.spec?.policyTypes).toEqual(['Egress']);
      expect(p.spec?.podSelector?.matchLabels).toEqual({ 'app.kubernetes.io/name': 'switchyard' });
      for (const rule of p.spec?.egress ?? []) {
        expect(rule.to?.length, 'every rule names its destinations').toBeGreaterThan(0);
        for (const port of rule.ports ?? []) ports.add(`${port.protocol}/${port.port}`);
        const store = rule.ports?.find((port) => port.port === 5432 || port.port === 6379);
        if (store) {
          // A store's port is open only to its own pods, in namespaces that opted in: never to an address
          // range, a whole namespace or every namespace, and with no other port beside it.
          expect(rule.ports, 'a store rule opens one port').toHaveLength(1);
          const label = store.port === 5432 ? 'postgres' : 'redis';
          for (const to of rule.to ?? []) expect(to).toEqual({ namespaceSelector: { matchLabels: { 'switchyard-stores': 'true' } }, podSelector: { matchLabels: { 'switchyard-store': label } } });
        }
        for (const to of rule.to ?? []) {
          if (to.ipBlock && /^(0\.0\.0\.0|::)\/0$/.test(to.ipBlock.cidr)) {
            expect(to.ipBlock.except, 'the open block excludes private and link-local ranges').toEqual(expect.arrayContaining([to.ipBlock.cidr === '::/0' ? 'fc00::/7' : '10.0.0.0/8', to.ipBlock.cidr === '::/0' ? 'fe80::/10' : '169.254.0.0/16']));
          }
        }
      }
    }
    const identity: Record<Shipped, string[]> = { base: [], 'overlays/eks': ['TCP/80'], 'overlays/gke': ['TCP/80', 'TCP/988'], 'overlays/gke-spot': ['TCP/80', 'TCP/988'], 'overlays/aks': [] };
    const stores = sharesStores(target) ? ['TCP/5432', 'TCP/6379'] : [];
    expect([...ports].sort()).toEqual(['TCP/443', 'TCP/53', 'UDP/53', ...identity[shippedOf(target)], ...stores].sort());
  });

  it('lets the pods resolve names wherever the cluster\'s DNS answers: kube-dns, NodeLocal DNSCache and, on GKE, Cloud DNS at the metadata server', () => {
    const policies = rendered.get(target)!.filter((o) => o.kind === 'NetworkPolicy') as unknown as INetworkPolicy[];
    const rules = policies.flatMap((p) => p.spec?.egress ?? []);
    const allows = (address: string, protocol: 'UDP' | 'TCP') =>
      rules.some((r) => r.ports?.some((p) => p.protocol === protocol && p.port === 53) && r.to?.some((t) => t.ipBlock !== undefined && ipv4InBlock(address, t.ipBlock)));
    const toKubeDns = rules.some((r) => r.ports?.some((p) => p.port === 53) && r.to?.some((t) => t.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns'));
    expect(toKubeDns).toBe(true);
    for (const protocol of ['UDP', 'TCP'] as const) {
      expect(allows('169.254.20.10', protocol), `NodeLocal DNSCache over ${protocol}`).toBe(true);
      expect(allows('169.254.169.254', protocol), `the GKE metadata server's DNS over ${protocol}`).toBe(onGke(target));
    }
  });

  it('carries no static cloud credentials', () => {
    const text = JSON.stringify(rendered.get(target));
    for (const banned of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_APPLICATION_CREDENTIALS', 'AZURE_CLIENT_SECRET', 'access_key_id', 'secret_access_key', 'credentials_file', 'client_secret', 'AKIA']) {
      expect(text.includes(banned), `mentions ${banned}`).toBe(false);
    }
    for (const d of gatewayConfig(target).deployments) {
      if (['bedrock', 'vertex', 'azure-openai'].includes(d.provider)) expect(d.api_key, `${d.id} uses the pod's identity`).toBeUndefined();
    }
  });

  // With shared stores the server needs them: the PostgreSQL and Redis the store specs use, if given.
  const stores = sharesStores(target) ? TEST_STORES : {};
  it.skipIf(stores === undefined)('answers the probe paths, and GET /metrics to the scraper\'s key only, when the server runs this config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-k8s-'));
    const raw = parse(configText(target)) as { ledger: Record<string, unknown>; state: Record<string, unknown> };
    raw.ledger = { ...raw.ledger, path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl'), journal_dir: join(dir, 'journal'), schema: 'switchyard_k8s_spec' };
    raw.state = { ...raw.state, key_prefix: `switchyard-k8s-spec-${process.pid}:` };
    const app = await createApp(gatewayConfig(target, raw, { ...podEnv(target), ...stores }));
    const server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1', onClose: () => app.close() });
    try {
      const c = container(target);
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
        const res = await fetch(`${server.url}${probe!.httpGet!.path}`);
        expect(res.status, probe!.httpGet!.path).toBe(200);
      }
      const env = podEnv(target);
      const scrape = (key?: string) => fetch(`${server.url}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
      const scraped = await scrape(env.SWITCHYARD_METRICS_KEY);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/^switchyard_requests_in_flight \d+$/m);
      expect((await scrape(env.SWITCHYARD_API_KEY)).status).toBe(403);
      expect((await scrape()).status).toBe(401);
      // Whoever can read Prometheus' credentials can scrape, and do nothing else: no drain, no reload, no model.
      const asScraper = (method: string, path: string, body?: unknown) =>
        fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${env.SWITCHYARD_METRICS_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const deployment = gatewayConfig(target).deployments[0]!.id;
      for (const [method, path, body] of [
        ['POST', `/v1/switchyard/deployments/${deployment}/drain`, undefined],
        ['POST', '/v1/switchyard/reload', undefined],
        ['GET', '/v1/switchyard/config', undefined],
        ['POST', '/v1/chat/completions', { model: 'default', messages: [{ role: 'user', content: 'Hi' }] }],
      ] as const) {
        const refused = await asScraper(method, path, body);
        expect(refused.status, `${method} ${path}`).toBe(403);
        expect(await refused.json(), `${method} ${path}`).toMatchObject({ error: { type: 'permission_error', code: 'metrics_key_only' } });
      }
    } finally {
      await server.shutdown(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(SHIPPED)('kubernetes stores: %s', (shipped) => {
  const withStores = `${shipped} + shared-stores` as const;
  const stores = (t: Target) => {
    const c = gatewayConfig(t);
    return { ledger: c.ledger.store, url: c.ledger.url !== undefined, state: c.state.store, redis: c.state.redis_url !== undefined, budgets: c.budgets.state };
  };

  it('as shipped, keeps the SQLite ledger on the pod\'s data volume and counts state per pod (the caveat docs/DEPLOY.md states)', () => {
    expect(stores(shipped)).toEqual({ ledger: 'sqlite', url: false, state: 'memory', redis: false, budgets: 'memory' });
    expect(podSpec(shipped).volumes?.find((v) => v.name === 'data')?.emptyDir).toBeDefined();
  });

  it('with components/shared-stores, keeps the ledger in PostgreSQL and breakers, rate limits and budgets in Redis', () => {
    expect(stores(withStores)).toEqual({ ledger: 'postgres', url: true, state: 'redis', redis: true, budgets: 'redis' });
    // The spill file and journal stay on the data volume, which is still there and writable.
    const config = gatewayConfig(withStores);
    const data = container(withStores).volumeMounts!.find((m) => m.name === 'data' && !m.readOnly)!;
    for (const path of [config.ledger.spill_path, config.ledger.journal_dir]) expect(path.startsWith(`${data.mountPath}/`), path).toBe(true);
  });

  it('with components/shared-stores, takes both URLs from the Secret switchyard-stores, never from the ConfigMap or a literal', () => {
    const c = container(withStores);
    for (const [name, key] of [['DATABASE_URL', 'database-url'], ['REDIS_URL', 'redis-url']]) {
      const vars = c.env!.filter((e) => e.name === name);
      expect(vars, name).toHaveLength(1);
      // Not optional: a missing key stops the pod (CreateContainerConfigError) instead of starting it on per-pod stores.
      expect(vars[0], name).toEqual({ name, valueFrom: { secretKeyRef: { name: 'switchyard-stores', key } } });
    }
    // The patch adds to the container's variables and Secrets; the base's stay as they were.
    expect(c.envFrom).toEqual(container(shipped).envFrom);
    for (const e of container(shipped).env!) expect(c.env, e.name).toContainEqual(e);
    const everything = JSON.stringify(rendered.get(withStores));
    expect(everything).not.toMatch(/(postgres(ql)?|rediss?):\/\//);
  });

  it('changes nothing else: the same objects as shipped, plus the stores\' egress policy', () => {
    const ids = (t: Target) => rendered.get(t)!.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(ids(withStores)).toEqual([...ids(shipped), 'NetworkPolicy/switchyard-egress-stores']);
    for (const o of rendered.get(shipped)!) {
      if (o.kind !== 'Deployment') expect(rendered.get(withStores)!.find((w) => w.kind === o.kind && w.metadata.name === o.metadata.name), `${o.kind}/${o.metadata.name}`).toEqual(o);
    }
  });
});

it('kubernetes stores: a user\'s overlay can point the stores\' egress at managed stores\' subnets instead (docs/DEPLOY.md)', () => {
  const dir = join(USERS, 'managed-stores');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kustomization.yaml'), `resources: [${relative(dir, join(HERE, 'overlays/eks'))}]\ncomponents: [${relative(dir, join(HERE, SHARED_STORES))}]\npatches: [{ path: egress-stores.yaml }]\n`);
  const doc = readFileSync(new URL('../../docs/DEPLOY.md', import.meta.url), 'utf8');
  const patch = /# my-overlay\/egress-stores\.yaml\n((?: {2}(?!```).*\n)+)/.exec(doc)?.[1].replace(/^ {2}/gm, '');
  expect(patch, 'the patch shown in docs/DEPLOY.md').toBeTypeOf('string');
  writeFileSync(join(dir, 'egress-stores.yaml'), patch!);
  const policy = renderKustomization(dir).find((o) => o.metadata.name === 'switchyard-egress-stores')!;
  expect(() => new NetworkPolicy(policy as never).validate()).not.toThrow();
  expect(policy.metadata.namespace).toBe('switchyard');
  const spec = policy.spec as INetworkPolicy['spec'];
  expect(spec?.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'switchyard' } });
  expect(spec?.egress?.map((r) => [r.to?.map((t) => t.ipBlock?.cidr), r.ports?.map((p) => p.port)])).toEqual([[['10.20.0.0/24'], [5432]], [['10.20.1.0/24'], [6379]]]);
});

it('kubernetes egress: a user\'s overlay can let the pods send traces to an in-cluster collector over OTLP/HTTP (docs/OBSERVABILITY.md)', () => {
  const dir = join(USERS, 'otel-collector');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kustomization.yaml'), `resources: [${relative(dir, join(HERE, 'base'))}, egress-otel-collector.yaml]\n`);
  const doc = readFileSync(new URL('../../docs/OBSERVABILITY.md', import.meta.url), 'utf8');
  const policyText = /# my-overlay\/egress-otel-collector\.yaml\n((?:(?!```).*\n)+)/.exec(doc)?.[1];
  expect(policyText, 'the policy shown in docs/OBSERVABILITY.md').toBeTypeOf('string');
  writeFileSync(join(dir, 'egress-otel-collector.yaml'), policyText!);
  const policy = renderKustomization(dir).find((o) => o.metadata.name === 'switchyard-egress-otel-collector')!;
  expect(() => new NetworkPolicy(policy as never).validate()).not.toThrow();
  expect(policy.metadata.namespace).toBe('switchyard');
  const spec = policy.spec as INetworkPolicy['spec'];
  expect(spec?.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'switchyard' } });
  expect(spec?.egress?.flatMap((r) => r.ports ?? [])).toEqual([{ protocol: 'TCP', port: 4318 }]);
});

describe('kubernetes overlays: cloud identity', () => {
  const annotations = (t: Target) => one<IServiceAccount>(t, 'ServiceAccount', 'switchyard').metadata?.annotations ?? {};
  const providers = (t: Target) => new Set(gatewayConfig(t).deployments.map((d) => d.provider));

  it('EKS binds the service account to an IAM role (IRSA) and routes to Bedrock', () => {
    expect(annotations('overlays/eks')['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/);
    expect(providers('overlays/eks')).toEqual(new Set(['bedrock']));
  });

  it('GKE binds the service account to a Google service account (Workload Identity) and routes to Vertex', () => {
    expect(annotations('overlays/gke')['iam.gke.io/gcp-service-account']).toMatch(/^[a-z][a-z0-9-]+@[a-z][a-z0-9-]+\.iam\.gserviceaccount\.com$/);
    expect(providers('overlays/gke')).toEqual(new Set(['vertex']));
  });

  it('AKS binds the service account to a managed identity (Azure Workload Identity) and routes to Azure OpenAI with Entra ID', () => {
    expect(annotations('overlays/aks')['azure.workload.identity/client-id']).toMatch(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/);
    expect(one<IDeployment>('overlays/aks', 'Deployment').spec!.template.metadata!.labels).toMatchObject({ 'azure.workload.identity/use': 'true' });
    expect(providers('overlays/aks')).toEqual(new Set(['azure-openai']));
    for (const d of gatewayConfig('overlays/aks').deployments) expect(d.options).toMatchObject({ auth: { type: 'entra' } });
  });

  it('the base binds no cloud identity', () => {
    expect(annotations('base')).toEqual({});
  });
});


if (kubectlInstalled) {
  describe('kubernetes manifests: the in-test renderer agrees with kubectl kustomize', () => {
    const key = (o: K8sObject) => `${o.apiVersion}/${o.kind}/${o.metadata.name}`;
    const byKey = (objects: K8sObject[]) => Object.fromEntries(objects.map((o) => [key(o), o]));

    it.each(TARGETS)('%s', (target) => {
      const yaml = kubectlKustomize(kustomizationDir(target));
      const theirs = parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject);
      expect(byKey(rendered.get(target)!)).toEqual(byKey(theirs));
    });
  });
} else {
  describe.skip('kubernetes manifests: the in-test renderer agrees with kubectl kustomize (kubectl is not installed)', () => {
    it('skipped', () => undefined);
  });
}
