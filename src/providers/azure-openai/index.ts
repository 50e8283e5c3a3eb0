import type { ProviderFactory } from '../registry.js';
import { azureOptionsSchema, type AzureOpenAIOptions } from './options.js';
import { AzureOpenAIProvider } from './provider.js';

export type { AzureOpenAIOptions } from './options.js';
export { AzureOpenAIProvider, type AzureOpenAIOverrides } from './provider.js';

/** Azure OpenAI deployments (deployment-scoped URLs or the v1 API), with api-key or Entra ID auth. */
export const azureOpenAI: ProviderFactory<AzureOpenAIOptions> = {
  type: 'azure-openai',
  options: azureOptionsSchema,
  create: (deployment, opts) => new AzureOpenAIProvider(deployment, opts),
};
