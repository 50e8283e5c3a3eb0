import { startAnthropicSim } from '../anthropic/index.js';
import { startAzureSim } from '../azure/index.js';
import { SIM_CREDENTIALS, startBedrockSim } from '../bedrock/index.js';
import { startOpenAISim } from '../openai/index.js';
import type { SimServer } from '../server.js';
import { createSimServiceAccount } from '../vertex/credentials.js';
import { startVertexSim } from '../vertex/index.js';

/** One simulator per provider type, the credentials their deployments need, and the config snippets that reach them. */
export interface EverySim {
  openai: SimServer;
  azure: SimServer;
  bedrock: SimServer;
  vertex: SimServer;
  anthropic: SimServer;
  /** The API keys each simulator takes (the Bedrock and Vertex ones sign instead). */
  keys: { openai: string; azure: string; anthropic: string };
  /** `${VAR}`s the snippets below name: the Bedrock simulator's AWS keys and the Vertex service account. */
  env: Record<string, string>;
  /** Deployment fields that reach the Bedrock simulator (add `id`, `model`). */
  aws: Record<string, string>;
  /** Deployment fields that reach the Vertex simulator (add `id`, `model`, and `publisher` for Claude). */
  gcp: Record<string, string | boolean>;
  close(): Promise<void>;
}

/**
 * Starts the five provider simulators at once, for end-to-end specs that drive every provider type
 * through one server: OpenAI (`openaiKey`, sk-test unless given), Azure, Bedrock (us-east-1), Vertex
 * (`project`, europe-west4) and Anthropic.
 */
export async function startEverySim(project: string, openaiKey = 'sk-test'): Promise<EverySim> {
  const account = createSimServiceAccount(project);
  const keys = { openai: openaiKey, azure: 'az-key', anthropic: 'sk-ant' };
  const [openai, azure, bedrock, vertex, anthropic] = await Promise.all([
    startOpenAISim({ apiKey: keys.openai }),
    startAzureSim({ apiKey: keys.azure }),
    startBedrockSim({ region: 'us-east-1' }),
    startVertexSim({ publicKey: account.publicKey, project }),
    startAnthropicSim({ apiKey: keys.anthropic }),
  ]);
  return {
    openai,
    azure,
    bedrock,
    vertex,
    anthropic,
    keys,
    env: { AWS_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: account.json },
    aws: { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.url, access_key_id: '${AWS_ID}', secret_access_key: '${AWS_SECRET}' },
    gcp: { provider: 'vertex', project, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
    close: async () => {
      await Promise.all([openai, azure, bedrock, vertex, anthropic].map((s) => s.close()));
    },
  };
}
