import type { DeploymentConfig } from '../config/schema.js';
import type { Operation } from '../core/events.js';
import { vertexBase } from '../providers/vertex/urls.js';

/**
 * `gen_ai.provider.name` of each provider type (OTel GenAI conventions, 1.37+). An OpenAI-compatible
 * host counts as `openai`: the conventions name the API a client speaks when the product behind it
 * cannot be known.
 */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  bedrock: 'aws.bedrock',
  'azure-openai': 'azure.ai.openai',
  vertex: 'gcp.vertex_ai',
  anthropic: 'anthropic',
  'openai-compatible': 'openai',
};

/** The `gen_ai.provider.name` of a provider type; `_OTHER` for a custom one (the conventions' fallback). */
export function genAiProviderName(providerType: string): string {
  return PROVIDER_NAMES[providerType] ?? '_OTHER';
}

/** The `gen_ai.operation.name` of a gateway operation. */
export function genAiOperationName(operation: Operation): 'chat' | 'embeddings' {
  return operation === 'embed' ? 'embeddings' : 'chat';
}

/** Hosts of providers whose endpoint is implied by the deployment rather than configured. */
function defaultHost(d: DeploymentConfig): string | undefined {
  const region = d.region ?? regionOption(d.options);
  switch (d.provider) {
    case 'bedrock':
      return region ? `bedrock-runtime.${region}.amazonaws.com` : undefined;
    case 'vertex':
      return region === undefined ? undefined : new URL(vertexBase({ location: region })).host;
    default:
      return undefined;
  }
}

function stringOption(options: unknown, key: string): string | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const value = (options as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function regionOption(options: unknown): string | undefined {
  return stringOption(options, 'region') ?? stringOption(options, 'location');
}

/** A deployment's upstream as the conventions name it: `server.address` and `server.port`. */
export interface Server {
  address: string;
  port: number;
}

/** The port a URL names, or its scheme's default (the conventions want it even when implied). */
function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'http:' ? 80 : 443;
}

/** A deployment's upstream host and port (configured endpoint, or implied by the provider), or undefined. */
export function serverOf(d: DeploymentConfig): Server | undefined {
  const endpoint = d.endpoint ?? stringOption(d.options, 'endpoint');
  if (endpoint !== undefined) {
    try {
      const url = new URL(endpoint);
      return { address: url.hostname, port: portOf(url) };
    } catch {
      return undefined;
    }
  }
  const host = defaultHost(d);
  // Implied endpoints are the clouds' own HTTPS hosts.
  return host === undefined ? undefined : { address: host, port: 443 };
}
