import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { azureUrls } from './urls.js';
import type { AzureOpenAIOptions } from './options.js';

function parse(deployment: Record<string, unknown>, env: Record<string, string> = {}) {
  return parseConfig({ deployments: [{ id: 'az', provider: 'azure-openai', model: 'gpt-4o', ...deployment }] }, env);
}

describe('azure-openai options', () => {
  it('defaults to deployment URLs, the GA api-version and the model as deployment name', () => {
    const r = parse({ endpoint: 'https://res.openai.azure.com', api_key: 'k' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const o = r.config.deployments[0]?.options as AzureOpenAIOptions;
    expect(o.api).toBe('deployments');
    expect(o.api_version).toBe('2024-10-21');
    expect(o.probe).toBe('models');
    expect(o.auth).toBeUndefined();
  });

  it('accepts a private-endpoint or custom-domain https URL and Entra client-secret auth', () => {
    const r = parse(
      {
        endpoint: 'https://gw.internal.contoso.net/aoai/',
        api: 'v1',
        auth: { type: 'entra', credential: 'client_secret', tenant_id: 't', client_id: 'c', client_secret: '${AZ_SECRET}' },
      },
      { AZ_SECRET: 's3cret' },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const o = r.config.deployments[0]?.options as AzureOpenAIOptions;
    expect(o.auth?.type === 'entra' && o.auth.scope).toBe('https://cognitiveservices.azure.com/.default');
    expect(JSON.stringify(o)).not.toContain('s3cret');
  });

  it.each([
    [{ endpoint: 'https://res.openai.azure.com/openai' }, 'without the /openai path'],
    [{ endpoint: 'http://res.example.com' }, 'plain http'],
    [{ endpoint: 'https://res.openai.azure.com', auth: { type: 'api_key' } }, 'needs an api_key'],
    [{ endpoint: 'https://res.openai.azure.com', api_key: 'k', auth: { type: 'entra', credential: 'default' } }, 'mutually exclusive'],
    [{ endpoint: 'https://res.openai.azure.com', api_version: 'latest' }, 'api-version like'],
    [{ endpoint: 'https://res.openai.azure.com', auth: { type: 'entra', credential: 'client_secret', tenant_id: 't' } }, 'client_id'],
  ])('rejects %j with a path-named problem', (deployment, message) => {
    const r = parse(deployment);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toContain(message.includes('client_id') ? 'client_id' : message);
    expect(r.problems[0]?.path).toMatch(/^deployments\.0|^deployments\[0\]/);
  });

  it('allows plain http to a non-loopback host only when asked', () => {
    expect(parse({ endpoint: 'http://azure-sim:8080', api_key: 'k', allow_insecure_http: true }).ok).toBe(true);
    expect(parse({ endpoint: 'http://127.0.0.1:8080', api_key: 'k' }).ok).toBe(true);
  });
});

describe('azureUrls', () => {
  it('builds deployment-scoped URLs with the api-version', () => {
    const u = azureUrls({ endpoint: 'https://res.openai.azure.com/', api: 'deployments', apiVersion: '2025-04-01-preview', deploymentName: 'my gpt' });
    expect(u.chat.href).toBe('https://res.openai.azure.com/openai/deployments/my%20gpt/chat/completions?api-version=2025-04-01-preview');
    expect(u.embeddings.href).toBe('https://res.openai.azure.com/openai/deployments/my%20gpt/embeddings?api-version=2025-04-01-preview');
    expect(u.models.href).toBe('https://res.openai.azure.com/openai/models?api-version=2025-04-01-preview');
    expect(u.model).toBe('my gpt');
  });

  it('builds v1 URLs without api-version, keeping a private-endpoint base path', () => {
    const u = azureUrls({ endpoint: 'https://pe.contoso.net/aoai', api: 'v1', apiVersion: '2024-10-21', deploymentName: 'gpt-4o' });
    expect(u.chat.href).toBe('https://pe.contoso.net/aoai/openai/v1/chat/completions');
    expect(u.embeddings.href).toBe('https://pe.contoso.net/aoai/openai/v1/embeddings');
    expect(u.models.href).toBe('https://pe.contoso.net/aoai/openai/v1/models');
  });
});
