import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { writeEntryConfig } from '../testing/entry-config.js';
import { streamFromLambdaMain } from './testing/invoke-main.js';

let sim: SimServer;
let config: ReturnType<typeof writeEntryConfig>;
beforeAll(async () => {
  sim = await startOpenAISim();
  config = writeEntryConfig(sim.url);
});
afterAll(async () => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  config.remove();
  await sim.close();
});

describe('src/adapters/aws-lambda/main.ts (the SAM template handler)', () => {
  it('streams an answer built from the config SWITCHYARD_CONFIG names', async () => {
    vi.stubEnv('SWITCHYARD_CONFIG', config.path);
    // The runtime installs the global before it loads the handler's module.
    const { prelude, body } = await streamFromLambdaMain(() => import('./main.js'), vi.stubGlobal);
    expect(prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    expect(body).toContain('Hello');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it("fills the config's ${VAR}s from the Secrets Manager secret SWITCHYARD_SECRETS_ARN names, signed with the role's credentials", async () => {
    vi.resetModules();
    const secretConfig = writeEntryConfig('${SIM_BASE_URL}');
    const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:switchyard/gateway-AbCdEf';
    const asked: IncomingHttpHeaders[] = [];
    const secretsManager = createServer((req, res) => {
      asked.push(req.headers);
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ ARN: arn, SecretString: JSON.stringify({ SIM_BASE_URL: sim.url }) })));
    });
    await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
    try {
      vi.stubEnv('SWITCHYARD_CONFIG', secretConfig.path);
      vi.stubEnv('SWITCHYARD_SECRETS_ARN', arn);
      // The SDK's own setting for a service's endpoint: the local Secrets Manager instead of AWS's.
      vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`);
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDROLE');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'role-secret');
      vi.stubEnv('AWS_SESSION_TOKEN', 'role-token');
      const { prelude, body } = await streamFromLambdaMain(() => import('./main.js'), vi.stubGlobal);
      expect(prelude).toMatchObject({ statusCode: 200 });
      expect(body).toContain('Hello');
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({ 'x-amz-target': 'secretsmanager.GetSecretValue', 'x-amz-security-token': 'role-token' });
      expect(asked[0]?.authorization).toMatch(/Credential=AKIDROLE\/\d{8}\/us-east-1\/secretsmanager\//);
    } finally {
      secretConfig.remove();
      await new Promise<void>((resolve) => secretsManager.close(() => resolve()));
    }
  });
});
