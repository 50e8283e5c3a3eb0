import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { DeploymentConfig } from '../config/schema.js';
import { serverOf } from './genai.js';

function deployment(d: { provider: string } & Record<string, unknown>): DeploymentConfig {
  const config = resolveConfig({ deployments: [{ id: 'd', model: 'm', ...d }] }, {});
  return config.deployments[0] as DeploymentConfig;
}

describe('server.address and server.port of a deployment', () => {
  it('takes the port a configured endpoint names', () => {
    expect(serverOf(deployment({ provider: 'openai-compatible', endpoint: 'http://vllm.internal:8000/v1' }))).toEqual({ address: 'vllm.internal', port: 8000 });
  });

  it("gives the scheme's default port when the endpoint names none, as the conventions require it beside the address", () => {
    expect(serverOf(deployment({ provider: 'openai-compatible', endpoint: 'https://api.openai.com/v1' }))).toEqual({ address: 'api.openai.com', port: 443 });
    expect(serverOf(deployment({ provider: 'openai-compatible', endpoint: 'http://vllm.internal/v1' }))).toEqual({ address: 'vllm.internal', port: 80 });
  });

  it("names a cloud's implied HTTPS host on 443", () => {
    expect(serverOf(deployment({ provider: 'bedrock', region: 'eu-central-1' }))).toEqual({ address: 'bedrock-runtime.eu-central-1.amazonaws.com', port: 443 });
  });
});
