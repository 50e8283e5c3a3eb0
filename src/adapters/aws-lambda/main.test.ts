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
    expect(prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
    expect(body).toContain('Hello');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it("fills the config's ${VAR}s from the Secrets Manager secret SWITCHYARD_SECRETS_ARN names, signed with the role's credentials", async () => {
    vi.resetModules();
    const secretConfig = writeEntryConfig('${SIM_BASE_URL}');
    const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:switchyard/gateway-AbCdEf';
    const getSecretValue = vi.fn((_url: URL, _init: RequestInit) => Promise.resolve(Response.json({ ARN: arn, SecretString: JSON.stringify({ SIM_BASE_URL: sim.url }) })));
    try {
      vi.stubEnv('SWITCHYARD_CONFIG', secretConfig.path);
      vi.stubEnv('SWITCHYARD_SECRETS_ARN', arn);
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDROLE');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'role-secret');
      vi.stubEnv('AWS_SESSION_TOKEN', 'role-token');
      vi.stubGlobal('fetch', getSecretValue);
      const { prelude, body } = await streamFromLambdaMain(() => import('./main.js'), vi.stubGlobal);
      expect(prelude).toMatchObject({ statusCode: 200 });
      expect(body).toContain('Hello');
      expect(getSecretValue).toHaveBeenCalledTimes(1);
      const [url, init] = getSecretValue.mock.calls[0] ?? [];
      expect(String(url)).toBe('https://secretsmanager.us-east-1.amazonaws.com/');
      expect(init?.headers).toMatchObject({ 'x-amz-target': 'secretsmanager.GetSecretValue', 'x-amz-security-token': 'role-token' });
    } finally {
      secretConfig.remove();
    }
  });
});
