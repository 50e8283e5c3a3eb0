import type { ProviderFactory } from '../registry.js';
import { azureOptionsSchema, type AzureOpenAIOptions } from './options.js';
import { lazyProvider } from '../lazy.js';
import { responsesOnlyProblem } from '../dialects/openai-chat/responses-only.js';

export type { AzureOpenAIOptions } from './options.js';

/** Azure OpenAI deployments (deployment-scoped URLs or the v1 API), with api-key or Entra ID auth. */
export const azureOpenAI: ProviderFactory<AzureOpenAIOptions> = {
  type: 'azure-openai',
  options: azureOptionsSchema,
  // An api-key or an Entra ID token on every call.
  sendsCredentials: () => true,
  // Top-level body fields, as Azure reads its own extensions (data_sources is one: grant it knowingly).
  passthroughProblem: () => undefined,
  // Azure already keeps the two apart: the rules follow `model`, the URL `deployment_name`.
  baseModelProblem: () =>
    'an Azure deployment names its model in model and its Azure deployment in deployment_name: set model to the model behind it (e.g. gpt-4o), deployment_name to the Azure deployment\'s name, and remove base_model',
  // `model` names the model (the Azure deployment is deployment_name), and Azure serves OpenAI's models as OpenAI does.
  modelProblem: (deployment) => responsesOnlyProblem(deployment.model, 'azure-openai'),
  // @azure/identity loads only for configs that name Azure.
  create: (deployment, opts) => lazyProvider('azure-openai', async () => new (await import('./provider.js')).AzureOpenAIProvider(deployment, opts)),
};
