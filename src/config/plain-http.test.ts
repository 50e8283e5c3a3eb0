import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';

function endpointProblems(deployment: Record<string, unknown>): string[] {
  const r = parseConfig({ deployments: [{ id: 'd', model: 'm', ...deployment }] }, {});
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

const refused = 'deployments[0].endpoint: credentials would travel over plain http to another host; use https or set allow_insecure_http: true';

describe('credentials over plain http', () => {
  it('refuses a key for an http endpoint on another host, whatever the provider', () => {
    expect(endpointProblems({ provider: 'openai-compatible', endpoint: 'http://10.1.2.3/v1', api_key: 'sk-plain-http-key' })).toEqual([refused]);
    expect(endpointProblems({ provider: 'anthropic', endpoint: 'http://10.1.2.3', api_key: 'sk-ant-plain-http-key' })).toEqual([refused]);
    expect(endpointProblems({ provider: 'azure-openai', endpoint: 'http://azure-proxy.internal', api_key: 'azure-plain-key' })).toEqual([refused]);
    expect(endpointProblems({ provider: 'bedrock', region: 'us-east-1', endpoint: 'http://bedrock-proxy.internal' })).toEqual([refused]);
    expect(endpointProblems({ provider: 'vertex', project: 'p', region: 'us-central1', endpoint: 'http://vertex-proxy.internal' })).toEqual([refused]);
  });

  it('counts a credential header the deployment sets as a key', () => {
    expect(endpointProblems({ provider: 'openai-compatible', endpoint: 'http://vllm.internal:8000/v1', headers: { Authorization: 'Bearer token-for-vllm' } })).toEqual([refused]);
  });

  it('lets through an open server without a key, loopback, https, and a config that says so', () => {
    expect(endpointProblems({ provider: 'openai-compatible', endpoint: 'http://vllm.internal:8000/v1' })).toEqual([]);
    expect(endpointProblems({ provider: 'openai-compatible', endpoint: 'http://127.0.0.1:8000/v1', api_key: 'sk-loopback-key' })).toEqual([]);
    expect(endpointProblems({ provider: 'anthropic', endpoint: 'http://localhost:9000', api_key: 'sk-ant-loopback' })).toEqual([]);
    expect(endpointProblems({ provider: 'openai-compatible', endpoint: 'https://10.1.2.3/v1', api_key: 'sk-tls-key-123' })).toEqual([]);
    expect(endpointProblems({ provider: 'openai-compatible', endpoint: 'http://10.1.2.3/v1', api_key: 'sk-plain-http-key', allow_insecure_http: true })).toEqual([]);
  });
});
