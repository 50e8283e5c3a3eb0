import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createGateway } from './index.js';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'switchyard-cold-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAVY = {
  aws: /\/node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//,
  google: /\/node_modules\/(google-auth-library|gaxios|gtoken)\//,
  azure: /\/node_modules\/@azure\//,
  sqlite: /\/node_modules\/better-sqlite3\//,
  postgres: /\/node_modules\/(pg|pg-pool)\//,
  redis: /\/node_modules\/ioredis\//,
};

/** Runs `script` (an ES module body) in a fresh process and lists the modules it loaded. */
function loadedWhile(name: string, script: string): string[] {
  const log = join(dir, `${name}.log`);
  execFileSync(process.execPath, ['--import', 'tsx', '--import', join(root, 'src/testing/record-loads.mjs'), '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, SWITCHYARD_LOAD_LOG: log },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 30_000,
  });
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

/** Imports the package entry, creates a gateway for `deployments`, and lists what loaded. */
function loadedBy(name: string, deployments: unknown[]): string[] {
  return loadedWhile(
    name,
    `const { createGateway } = await import(${JSON.stringify(join(root, 'src/index.ts'))});
    const gateway = createGateway({ deployments: ${JSON.stringify(deployments)} });
    await gateway.close();`,
  );
}

/** Modules only `createApp` needs: metrics, governance, dashboard, admin routes, rate limits, the Responses store. */
const APP_ONLY =
  /\/node_modules\/prom-client\/|\/src\/(observability\/(index|metrics)|governance\/index|dashboard\/routes|ops\/admin-routes|limits\/open|ingress\/openai-responses\/store\/open|http\/metrics-route|core\/admission)\.ts$/;

const heavyIn = (urls: string[]): string[] => Object.entries(HEAVY).filter(([, re]) => urls.some((u) => re.test(u))).map(([name]) => name);

describe('cold start', () => {
  it('loads no cloud SDK, database driver or Redis client for an openai-compatible config', () => {
    const urls = loadedBy('openai', [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }]);
    expect(urls.some((u) => u.includes('/src/providers/openai-compatible/provider.ts'))).toBe(true);
    expect(heavyIn(urls)).toEqual([]);
  });

  it('imports neither undici nor yaml for a gateway built from an object', () => {
    // Upstream calls go through providers/transport (node:net); yaml is required on the first YAML text.
    const urls = loadedBy('no-yaml', [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }]);
    expect(urls.filter((u) => /\/node_modules\/(undici|yaml)\//.test(u))).toEqual([]);
  });

  it('imports no app-only feature for createGateway alone, and prom-client only where an app builds metrics', () => {
    const deployments = [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }];
    const gatewayOnly = loadedBy('gateway-only', deployments);
    expect(gatewayOnly.filter((u) => APP_ONLY.test(u))).toEqual([]);
    const app = (name: string, metrics: boolean): string[] =>
      loadedWhile(
        name,
        `const { createApp, parseConfig } = await import(${JSON.stringify(join(root, 'src/index.ts'))});
        const app = await createApp(parseConfig({ deployments: ${JSON.stringify(deployments)}, observability: { metrics: { enabled: ${metrics} } } }).config);
        await app.close();`,
      );
    expect(app('app-metrics', true).some((u) => u.includes('/node_modules/prom-client/'))).toBe(true);
    expect(app('app-no-metrics', false).filter((u) => u.includes('/node_modules/prom-client/'))).toEqual([]);
  });

  it('loads node:tls only for an https upstream, and node:http only for a server', () => {
    const builtinsAfter = (script: string): string[] => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `${script}; process.stdout.write(JSON.stringify(process.moduleLoadList))`], {
        cwd: root,
        encoding: 'utf8',
        timeout: 30_000,
      });
      return (JSON.parse(out) as string[]).flatMap((m) => (/^NativeModule (tls|http)$/.exec(m) ?? []).slice(1));
    };
    const gatewayOn = (endpoint: string): string =>
      `const { createGateway, createHttpServer } = await import(${JSON.stringify(join(root, 'src/index.ts'))});
      const gateway = createGateway({ deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: '${endpoint}' }], groups: [{ name: 'chat', deployments: ['oai'] }], routing: { backoff: { base_ms: 0 } } });
      const ask = () => gateway.chat({ model: 'chat', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }).catch(() => undefined);`;
    // Port 9 (discard) refuses: each chat fails at once, after trying to connect.
    expect(builtinsAfter(`${gatewayOn('http://127.0.0.1:9/v1')}; await ask(); await gateway.close()`)).toEqual([]);
    expect(builtinsAfter(`${gatewayOn('https://127.0.0.1:9/v1')}; await ask(); await gateway.close()`)).toEqual(['tls']);
    expect(builtinsAfter(`${gatewayOn('http://127.0.0.1:9/v1')}; createHttpServer(gateway); await gateway.close()`)).toEqual(['http']);
  });

  it('loads no other command for `switchyard serve`', () => {
    const urls = loadedWhile(
      'cli-serve',
      `const { main } = await import(${JSON.stringify(join(root, 'src/cli/main.ts'))});
      await main(['serve', '--help'], { out: () => undefined, err: () => undefined, env: {} });`,
    );
    expect(urls.some((u) => u.endsWith('/src/cli/commands/serve.ts'))).toBe(true);
    // serve's own modules (`serve-drain.ts`) are serve.
    expect(urls.filter((u) => /\/src\/cli\/commands\/(?!serve(-[a-z-]+)?\.ts)[^/]+\.ts$/.test(u))).toEqual([]);
  });

  it('loads the AWS SDK for a Bedrock config, and still no other cloud, database or Redis', () => {
    const urls = loadedBy('bedrock', [{ id: 'br', provider: 'bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1' }]);
    expect(heavyIn(urls)).toEqual(['aws']);
  });

  it('loads neither Azure Functions nor functions-framework, nor any SDK or driver, for switchyard/aws-lambda and its main', () => {
    // The Lambda runtime installs the awslambda global before it loads the handler's module.
    const urls = loadedWhile(
      'aws-lambda',
      `globalThis.awslambda = { streamifyResponse: (handler) => handler };
      await import(${JSON.stringify(join(root, 'src/adapters/aws-lambda/index.ts'))});
      await import(${JSON.stringify(join(root, 'src/adapters/aws-lambda/main.ts'))});`,
    );
    expect(urls.some((u) => u.endsWith('/src/adapters/aws-lambda/main.ts'))).toBe(true);
    expect(urls.filter((u) => /\/node_modules\/(@azure\/functions|@google-cloud\/functions-framework)\//.test(u))).toEqual([]);
    expect(heavyIn(urls)).toEqual([]);
  });

  it('starts no timer unless the config enables health checks or state sync', async () => {
    const intervals = vi.spyOn(globalThis, 'setInterval');
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    const deployments = [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }];
    const plain = createGateway({ deployments });
    expect(intervals).not.toHaveBeenCalled();
    expect(timeouts).not.toHaveBeenCalled();
    const checked = createGateway({ deployments, routing: { health: { enabled: true } } });
    expect(intervals).toHaveBeenCalledTimes(1);
    await plain.close();
    await checked.close();
    vi.restoreAllMocks();
  });
});
