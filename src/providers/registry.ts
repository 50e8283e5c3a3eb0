import type * as z from '../config/zod.js';
import type { Provider } from '../core/provider.js';
import type { DeploymentBase, DeploymentConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { configuresCredential } from '../config/plain-http.js';
import { openaiCompatible } from './openai-compatible/index.js';
import { bedrock } from './bedrock/index.js';
import { azureOpenAI } from './azure-openai/index.js';
import { anthropic } from './anthropic/index.js';
import { vertex } from './vertex/index.js';

/** What a provider factory receives besides its deployment. */
export interface ProviderDeps {
  logger: Logger;
}

/**
 * One provider type. `options` builds the schema of the provider-specific keys of a deployment; its
 * output is handed to `create` as `deployment.options`. A function, called for the first deployment of
 * the type: the five schemas are ~250 zod objects, and a cold start builds only those its config names.
 */
export interface ProviderFactory<Options = unknown> {
  readonly type: string;
  readonly options: () => z.ZodType<Options>;
  /**
   * Why the deployment's `passthrough` fields cannot reach its upstream (no free-form slot in the wire
   * format, or a field the dialect writes itself), or undefined when they can. Absent: the provider
   * carries no passthrough fields at all.
   */
  readonly passthroughProblem?: (fields: readonly string[], deployment: DeploymentBase, options: Options) => string | undefined;
  /**
   * Whether calls carry a credential (a key, a token, a signature). Absent: only when the deployment
   * configures one itself (`api_key` or a credential header), as an open vLLM server needs none.
   */
  readonly sendsCredentials?: (deployment: DeploymentBase) => boolean;
  /**
   * Why the deployment's `base_model` cannot stand (its model names the model already, or the id is
   * not one of this provider's), or undefined when it can. Absent: the provider takes no `base_model`.
   */
  readonly baseModelProblem?: (deployment: DeploymentBase, baseModel: string) => string | undefined;
  /**
   * Why the deployment's `model` can never be served through this provider's wire (an OpenAI model the
   * Chat Completions API refuses), or undefined. Absent: any model is taken.
   */
  readonly modelProblem?: (deployment: DeploymentBase, options: Options) => string | undefined;
  create(deployment: DeploymentConfig, options: Options, deps: ProviderDeps): Provider;
}

/** A provider factory with its options type erased, as the registry holds it. */
export interface RegisteredProvider {
  readonly type: string;
  /** The options schema, built on the first call. */
  options(): z.ZodType<unknown>;
  passthroughProblem(fields: readonly string[], deployment: DeploymentBase, options: unknown): string | undefined;
  sendsCredentials(deployment: DeploymentBase): boolean;
  baseModelProblem(deployment: DeploymentBase, baseModel: string): string | undefined;
  modelProblem(deployment: DeploymentBase, options: unknown): string | undefined;
  create(deployment: DeploymentConfig, options: unknown, deps: ProviderDeps): Provider;
}

/** Erases a factory's options type; safe because `create` only ever gets what `options` parsed. */
export function defineProvider<Options>(factory: ProviderFactory<Options>): RegisteredProvider {
  let options: z.ZodType<Options> | undefined;
  return {
    type: factory.type,
    options: () => (options ??= factory.options()),
    passthroughProblem: (fields, deployment, options) =>
      factory.passthroughProblem
        ? factory.passthroughProblem(fields, deployment, options as Options)
        : `provider "${factory.type}" has no request slot that carries passthrough fields`,
    sendsCredentials: (deployment) => (factory.sendsCredentials ?? configuresCredential)(deployment),
    baseModelProblem: (deployment, baseModel) =>
      factory.baseModelProblem
        ? factory.baseModelProblem(deployment, baseModel)
        : `provider "${factory.type}" follows model itself: base_model is only for a Bedrock model ARN that does not name its model (an application inference profile, a provisioned or custom model); remove it`,
    modelProblem: (deployment, options) => factory.modelProblem?.(deployment, options as Options),
    create: (deployment, options, deps) => factory.create(deployment, options as Options, deps),
  };
}

/** Every provider type Switchyard knows. Adding a provider: one folder and one line here. */
export const PROVIDERS: ReadonlyArray<RegisteredProvider> = [
  defineProvider(openaiCompatible),
  defineProvider(bedrock),
  defineProvider(azureOpenAI),
  defineProvider(anthropic),
  defineProvider(vertex),
];

export function findProvider(type: string): RegisteredProvider | undefined {
  return PROVIDERS.find((p) => p.type === type);
}
