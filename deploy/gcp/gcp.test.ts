import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';

const HERE = new URL('./', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, HERE), 'utf8');

interface Probe {
  httpGet: { path: string; port: number };
}
interface Container {
  args: string[];
  ports: { containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe?: Probe;
  volumeMounts: { name: string; mountPath: string }[];
}
interface Service {
  apiVersion: string;
  kind: string;
  spec: {
    template: {
      spec: {
        serviceAccountName: string;
        containers: Container[];
        volumes: { name: string; secret: { secretName: string; items: { path: string }[] } }[];
      };
    };
  };
}

describe('the Cloud Run service (deploy/gcp/cloud-run-service.yaml)', () => {
  const service = parse(read('cloud-run-service.yaml')) as Service;
  const pod = service.spec.template.spec;
  const container = pod.containers[0] as Container;
  const arg = (name: string): string | undefined => container.args[container.args.indexOf(name) + 1];

  it('is a Knative service of one container', () => {
    expect(service.apiVersion).toBe('serving.knative.dev/v1');
    expect(service.kind).toBe('Service');
    expect(pod.containers).toHaveLength(1);
  });

  it('serves on the container port Cloud Run sends traffic to, on all interfaces', () => {
    expect(container.ports.map((p) => p.containerPort)).toEqual([8080]);
    expect(container.args[0]).toBe('serve');
    expect(Number(arg('--port'))).toBe(8080);
    expect(arg('--host')).toBe('0.0.0.0');
  });

  it('starts on /readyz and stays alive on /healthz, on the served port', () => {
    expect(container.startupProbe.httpGet).toEqual({ path: '/readyz', port: 8080 });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8080 });
  });

  it('reads its config from the mounted secret', () => {
    const config = arg('--config') ?? '';
    const mount = container.volumeMounts.find((m) => config.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes.find((v) => v.name === mount?.name);
    expect(volume?.secret.items.map((i) => i.path)).toContain(config.slice((mount?.mountPath.length ?? 0) + 1));
  });

  it('runs as the switchyard service account with no static credentials in its environment', () => {
    expect(pod.serviceAccountName).toMatch(/^switchyard@[a-z0-9-]+\.iam\.gserviceaccount\.com$/);
    for (const env of container.env ?? []) {
      expect(env.name).not.toMatch(/^(GOOGLE_APPLICATION_CREDENTIALS|AWS_|AZURE_CLIENT_SECRET)/);
      // A secret reaches the process as a Secret Manager reference, never as a literal value.
      expect(env.value, env.name).toBeUndefined();
      expect(env.valueFrom?.secretKeyRef?.key).toBe('latest');
    }
  });
});

describe('the gateway config for Google Cloud (deploy/gcp/switchyard.yaml)', () => {
  const env = { SWITCHYARD_API_KEY: 'sk-test', DATABASE_URL: 'postgres://u:p@10.0.0.5/switchyard' };

  it('is valid, requires API keys, listens on all interfaces and keeps usage in PostgreSQL', () => {
    const result = parseConfig(parse(read('switchyard.yaml')), env);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.api_keys?.length).toBeGreaterThan(0);
    expect(result.config.server.host).toBe('0.0.0.0');
    expect(result.config.ledger.store).toBe('postgres');
    expect(result.config.ledger.journal_dir.startsWith('/tmp/')).toBe(true);
  });

  it('drains and flushes within the 10 s Cloud Run leaves between SIGTERM and SIGKILL', () => {
    const result = parseConfig(parse(read('switchyard.yaml')), env);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const flushMarginMs = 3000;
    expect(result.config.server.shutdown_grace_ms + flushMarginMs).toBeLessThanOrEqual(10_000);
  });

  it("ends a stream (its first content's wait included) a minute before the request timeout of Cloud Run and of the function", () => {
    const result = parseConfig(parse(read('switchyard.yaml')), env);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const { routing } = result.config;
    expect(routing.stream_max_ms, '0 is no limit').toBeGreaterThan(0);
    const service = parse(read('cloud-run-service.yaml')) as { spec: { template: { spec: { timeoutSeconds: number } } } };
    const functionTimeout = /--timeout (\d+)s/.exec(read('deploy-function.sh'))?.[1];
    for (const seconds of [service.spec.template.spec.timeoutSeconds, Number(functionTimeout)]) {
      expect(routing.deadline_ms + routing.stream_max_ms + 60_000).toBeLessThanOrEqual(seconds * 1000);
    }
  });

  it('calls Vertex AI with application default credentials only', () => {
    const raw = parse(read('switchyard.yaml')) as { deployments: Record<string, unknown>[] };
    for (const d of raw.deployments) {
      expect(d.provider).toBe('vertex');
      expect(Object.keys(d).filter((k) => /key|credential|token|secret/i.test(k))).toEqual([]);
    }
  });
});

describe('the function deploy script (deploy/gcp/deploy-function.sh)', () => {
  let dir = '';
  afterEach(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  /** Runs the script with gcloud and npm replaced by recorders; returns gcloud's calls and the staged files. */
  const SECRETS = 'SWITCHYARD_API_KEY=switchyard-api-key:latest,DATABASE_URL=switchyard-database-url:3';

  function deploy(config: string, secrets: string | null = SECRETS, extraEnv: Record<string, string> = {}): { status: number | null; calls: string[][]; stderr: string } {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-gcp-'));
    const record = join(dir, 'calls');
    writeFileSync(record, '');
    const gcloud = `#!/usr/bin/env bash
{ printf '%s\\t' "$@"; echo; } >> "${record}"
[ "$1 $2" = "iam service-accounts" ] && [ "$3" = describe ] && exit 1
if [ "$1 $2" = "functions deploy" ]; then
  while [ $# -gt 0 ]; do [ "$1" = --source ] && { printf 'staged\\t'; ls "$2" | tr '\\n' '\\t'; echo; } >> "${record}"; shift; done
fi
exit 0
`;
    const npm = `#!/usr/bin/env bash
while [ $# -gt 0 ]; do [ "$1" = --pack-destination ] && touch "$2/switchyard-$(node -p "require('./package.json').version").tgz"; shift; done
`;
    writeFileSync(join(dir, 'gcloud'), gcloud);
    writeFileSync(join(dir, 'npm'), npm);
    chmodSync(join(dir, 'gcloud'), 0o755);
    chmodSync(join(dir, 'npm'), 0o755);
    writeFileSync(join(dir, 'switchyard.yaml'), config);
    const run = spawnSync('bash', [fileURLToPath(new URL('deploy-function.sh', HERE))], {
      env: { PATH: `${dir}:${process.env.PATH ?? ''}`, PROJECT: 'my-project', REGION: 'europe-west1', CONFIG: join(dir, 'switchyard.yaml'), ...(secrets === null ? {} : { SECRETS: secrets }), ...extraEnv },
      encoding: 'utf8',
    });
    const calls = readFileSync(record, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t').filter(Boolean));
    return { status: run.status, calls, stderr: run.stderr };
  }

  it('refuses a config without API keys: the function URL is public', () => {
    const run = deploy('deployments: []\n');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no api_keys');
    expect(run.calls).toEqual([]);
  });

  it('refuses a config whose ${VAR}s no Secret Manager secret provides: the function would start without them', () => {
    const missing = deploy(read('switchyard.yaml'), null);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('needs DATABASE_URL SWITCHYARD_API_KEY, which no SECRETS entry provides');
    expect(missing.calls).toEqual([]);
    const half = deploy(read('switchyard.yaml'), 'SWITCHYARD_API_KEY=switchyard-api-key:latest');
    expect(half.stderr).toContain('needs DATABASE_URL,');
    expect(deploy(read('switchyard.yaml'), 'DATABASE_URL=postgres://u:p@db/ledger').stderr).toContain("SECRETS entry 'DATABASE_URL=postgres://u:p@db/ledger' is not VAR=SECRET:VERSION");
    const defaulted = deploy('api_keys:\n  - { id: a, key: "${KEY:-dev}" }\n# key: ${COMMENTED_OUT}\n', '');
    expect(defaulted.status).toBe(0);
  });

  it('grants the service account roles/aiplatform.user on the project and secretAccessor on exactly its secrets, and creates no key', () => {
    const run = deploy(read('switchyard.yaml'));
    expect(run.status).toBe(0);
    const binding = (call: string[]): string[] => [call.slice(0, 2).join(' '), call[2] ?? '', call[call.indexOf('--role') + 1] ?? '', call[call.indexOf('--member') + 1] ?? ''];
    const bindings = run.calls.filter((call) => call.includes('--role')).map(binding);
    const member = 'serviceAccount:switchyard@my-project.iam.gserviceaccount.com';
    expect(bindings).toEqual([
      ['projects add-iam-policy-binding', 'my-project', 'roles/aiplatform.user', member],
      ['secrets add-iam-policy-binding', 'switchyard-api-key', 'roles/secretmanager.secretAccessor', member],
      ['secrets add-iam-policy-binding', 'switchyard-database-url', 'roles/secretmanager.secretAccessor', member],
    ]);
    expect(run.calls.some((call) => call.includes('keys'))).toBe(false);
  });

  it('deploys a 2nd gen HTTP function with the switchyard entry point, as that service account', () => {
    const run = deploy(read('switchyard.yaml'));
    const call = run.calls.find((c) => c[0] === 'functions' && c[1] === 'deploy') ?? [];
    const flag = (name: string): string | undefined => call[call.indexOf(name) + 1];
    expect(call).toEqual(expect.arrayContaining(['--gen2', '--trigger-http']));
    expect(flag('--runtime')).toBe('nodejs22');
    expect(flag('--entry-point')).toBe('switchyard');
    expect(flag('--service-account')).toBe('switchyard@my-project.iam.gserviceaccount.com');
    expect(flag('--set-env-vars')).toBe('SWITCHYARD_CONFIG=switchyard.yaml,NODE_ENV=production,SWITCHYARD_FUNCTION_TIMEOUT_MS=3600000');
    expect(flag('--set-secrets')).toBe(SECRETS);
    // The function is not told its --timeout: SWITCHYARD_FUNCTION_TIMEOUT_MS above must say the same.
    expect(flag('--timeout')).toBe('3600s');
    const staged = run.calls.find((c) => c[0] === 'staged')?.slice(1);
    expect(staged?.sort()).toEqual(['index.js', 'package.json', 'switchyard.tgz', 'switchyard.yaml']);
  });

  it("caps the instances so each one's PostgreSQL pool fits in PostgreSQL's default max_connections, and takes MAX_INSTANCES", () => {
    const maxInstances = (env: Record<string, string> = {}): string | undefined => {
      const call = deploy(read('switchyard.yaml'), SECRETS, env).calls.find((c) => c[0] === 'functions' && c[1] === 'deploy') ?? [];
      return call.includes('--max-instances') ? call[call.indexOf('--max-instances') + 1] : undefined;
    };
    // A pool of 2 per instance (ledger.pool_size on Cloud Functions, src/adapters/gcp-functions/main.ts), even
    // at 4 (a config that raises it) within 100 - 3 superuser-reserved connections in PostgreSQL.
    expect(Number(maxInstances()) * 4).toBeLessThanOrEqual(97);
    expect(maxInstances({ MAX_INSTANCES: '40' })).toBe('40');
    const refused = deploy(read('switchyard.yaml'), SECRETS, { MAX_INSTANCES: '0' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("MAX_INSTANCES '0' is not a positive whole number");
    expect(refused.calls).toEqual([]);
  });

  it('stages a source folder whose package.json starts the function from the packed switchyard', () => {
    const pkg = JSON.parse(read('function/package.json')) as { main: string; type: string; dependencies: Record<string, string> };
    const ours = JSON.parse(readFileSync(new URL('../../package.json', HERE), 'utf8')) as { peerDependencies: Record<string, string> };
    expect(pkg.main).toBe('index.js');
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies.switchyard).toBe('file:switchyard.tgz');
    expect(pkg.dependencies['@google-cloud/functions-framework']).toBe(ours.peerDependencies['@google-cloud/functions-framework']);
    expect(read('function/index.js')).toMatch(/^import 'switchyard\/gcp-functions\/main';$/m);
  });
});
