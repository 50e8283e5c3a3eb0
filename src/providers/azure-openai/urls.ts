/** The two URL styles of the Azure OpenAI data plane, built once per deployment. */
export interface AzureUrls {
  chat: URL;
  embeddings: URL;
  models: URL;
  /** The `model` field the body carries: the deployment name (the v1 API routes on it). */
  model: string;
}

export interface AzureUrlInput {
  endpoint: string;
  api: 'deployments' | 'v1';
  apiVersion: string;
  deploymentName: string;
}

/** Builds the request URLs; every one stays on the configured endpoint's origin. */
export function azureUrls(input: AzureUrlInput): AzureUrls {
  const base = input.endpoint.replace(/\/+$/, '');
  if (input.api === 'v1') {
    return {
      chat: new URL(`${base}/openai/v1/chat/completions`),
      embeddings: new URL(`${base}/openai/v1/embeddings`),
      models: new URL(`${base}/openai/v1/models`),
      model: input.deploymentName,
    };
  }
  const version = `api-version=${encodeURIComponent(input.apiVersion)}`;
  const dep = `${base}/openai/deployments/${encodeURIComponent(input.deploymentName)}`;
  return {
    chat: new URL(`${dep}/chat/completions?${version}`),
    embeddings: new URL(`${dep}/embeddings?${version}`),
    models: new URL(`${base}/openai/models?${version}`),
    model: input.deploymentName,
  };
}
