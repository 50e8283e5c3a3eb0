import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderKustomization, type K8sObject } from './render.js';
import { kubectlInstalled, kubectlKustomize } from './kubectl.js';

const root = mkdtempSync(join(tmpdir(), 'switchyard-render-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let fixtures = 0;
/** Writes a tree of kustomization files and returns its folder. */
function tree(files: Record<string, string>): string {
  const dir = join(root, String(fixtures++));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}


/** The folder `overlay/` of such a tree: what the cases render. */
const overlay = (files: Record<string, string>): string => join(tree(files), 'overlay');

/** Renders with render.ts and, where kubectl is installed, checks that `kubectl kustomize` agrees. */
function render(dir: string): K8sObject[] {
  const ours = renderKustomization(dir);
  if (kubectlInstalled) {
    const yaml = kubectlKustomize(dir);
    const theirs = parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject);
    const byId = (objects: K8sObject[]) => Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
    expect(byId(ours), 'kubectl kustomize renders the same').toEqual(byId(theirs));
  }
  return ours;
}

const find = (objects: K8sObject[], kind: string, name: string): Record<string, unknown> => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

const BASE = {
  'base/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: app\nresources: [deployment.yaml, networkpolicy.yaml]\n',
  'base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  template:
    spec:
      containers:
        - name: main
          image: main:1
          envFrom: [{ secretRef: { name: main-secrets } }]
          env:
            - { name: A, value: "1" }
            - { name: B, value: "2" }
        - name: sidecar
          image: sidecar:1
`,
  'base/networkpolicy.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-egress }
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to: [{ ipBlock: { cidr: 10.1.0.0/16 } }]
    - to: [{ ipBlock: { cidr: 10.2.0.0/16 } }]
`,
};

const COMPONENT = {
  'component/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamespace: app\nresources: [extra.yaml]\npatches:\n  - path: deployment.yaml\n',
  'component/extra.yaml': 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: web-egress-extra }\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n',
  'component/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  template:
    spec:
      containers:
        - name: main
          env:
            - { name: C, valueFrom: { secretKeyRef: { name: extra, key: c } } }
            - { name: B, value: "3" }
`,
};

describe('render.ts: the kustomize subset the manifests use', () => {
  it('applies a component to what its parent has so far: its resources join, its patches and namespace apply to all', () => {
    const objects = render(overlay({ ...BASE, ...COMPONENT, 'overlay/kustomization.yaml': 'resources: [../base]\ncomponents: [../component]\n' }));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`)).toEqual([
      'Deployment/web/app',
      'NetworkPolicy/web-egress/app',
      'NetworkPolicy/web-egress-extra/app',
    ]);
  });

  it('merges containers and env by name: the patch\'s items first, each merged into its namesake, then the others in their order', () => {
    const objects = render(overlay({ ...BASE, ...COMPONENT, 'overlay/kustomization.yaml': 'resources: [../base]\ncomponents: [../component]\n' }));
    const containers = (find(objects, 'Deployment', 'web') as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } }).spec.template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['main', 'sidecar']);
    expect(containers[0]).toEqual({
      name: 'main',
      image: 'main:1',
      // envFrom is not in the patch: kept as it was.
      envFrom: [{ secretRef: { name: 'main-secrets' } }],
      env: [
        { name: 'C', valueFrom: { secretKeyRef: { name: 'extra', key: 'c' } } },
        { name: 'B', value: '3' },
        { name: 'A', value: '1' },
      ],
    });
  });

  it('replaces a NetworkPolicy\'s egress list whole (atomic in the API)', () => {
    const objects = render(overlay({
      ...BASE,
      'overlay/kustomization.yaml': 'resources: [../base]\npatches:\n  - path: egress.yaml\n',
      'overlay/egress.yaml': 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: web-egress }\nspec:\n  egress:\n    - to: [{ ipBlock: { cidr: 10.3.0.0/16 } }]\n',
    }));
    expect((find(objects, 'NetworkPolicy', 'web-egress') as { spec: { egress: unknown } }).spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.3.0.0/16' } }] }]);
  });

  it('refuses what it does not render faithfully: other lists, patch directives, a Component as a resource, a Kustomization as a component', () => {
    const patched = (patch: string) => overlay({ ...BASE, 'overlay/kustomization.yaml': 'resources: [../base]\npatches:\n  - path: patch.yaml\n', 'overlay/patch.yaml': patch });
    const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  template:\n    spec:\n';
    expect(() => renderKustomization(patched(`${deployment}      volumes: [{ name: v, emptyDir: {} }]\n`))).toThrow(/list patch on Deployment spec\.template\.spec\.volumes is not supported/);
    expect(() => renderKustomization(patched(`${deployment}      containers:\n        - { name: main, $patch: delete }\n`))).toThrow(/directive .*\$patch is not supported/);
    expect(() => renderKustomization(overlay({ ...BASE, ...COMPONENT, 'overlay/kustomization.yaml': 'resources: [../base, ../component]\n' }))).toThrow(/expected kind Kustomization, found Component/);
    expect(() => renderKustomization(overlay({ ...BASE, 'overlay/kustomization.yaml': 'components: [../base]\n' }))).toThrow(/expected kind Component, found Kustomization/);
  });
});
