import type { ProviderFactory } from '../registry.js';
import { azureOptionsSchema, type AzureOpenAIOptions } from './options.js';
import { AzureOpenAIProvider } from './provider.js';

export type { AzureOpenAIOptions } from './options.js';
export { AzureOpenAIProvider, type AzureOpenAIOverrides } from './provider.js';

/** Azure OpenAI deployments (deployment-scoped URLs or the v1 API), with api-key or Entra ID auth. */
export const azureOpenAI: ProviderFactory<AzureOpenAIOptions> = {
  type: 'azure-openai',
  options: azureOptionsSchema,
  // Top-level body fields, as Azure reads its own extensions (data_sources is one: grant it knowingly).
  passthroughProblem: () => undefined,
  create: (deployment, opts) => new AzureOpenAIProvider(deployment, opts),
};
