import type { SimServer } from '../sim/server.js';
import { startOpenAISim } from '../sim/openai/index.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../sim/bedrock/index.js';
import { startAzureSim } from '../sim/azure/index.js';
import { startVertexSim } from '../sim/vertex/index.js';
import { createSimServiceAccount, writeSimServiceAccount } from '../sim/vertex/credentials.js';

/** A simulated upstream of the demo and the raw config entries that point the gateway at it. */
export interface DemoUpstream {
  sim: SimServer;
  deployments: Array<Record<string, unknown>>;
  groups: Array<Record<string, unknown>>;
}

/**
 * The simulated clouds `switchyard demo` starts. Adding a cloud to the demo: one entry here. Each
 * entry starts its simulator and returns config that names only the simulator's own URL.
 */
export const DEMO_UPSTREAMS: ReadonlyArray<() => Promise<DemoUpstream>> = [
  async () => {
    const sim = await startOpenAISim({ name: 'openai-sim-a', apiKey: 'demo-key-a', models: ['gpt-4o-mini', 'text-embedding-3-small'] });
    return {
      sim,
      deployments: [
        { id: 'openai-a', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east', tags: ['us'], endpoint: `${sim.url}/v1`, api_key: 'demo-key-a' },
        { id: 'openai-a-embed', provider: 'openai-compatible', model: 'text-embedding-3-small', region: 'us-east', tags: ['us'], endpoint: `${sim.url}/v1`, api_key: 'demo-key-a' },
      ],
      groups: [{ name: 'embed', aliases: ['text-embedding-3-small'], deployments: ['openai-a-embed'] }],
    };
  },
  async () => {
    const sim = await startOpenAISim({ name: 'vllm-sim-b', server: 'vllm', models: ['llama-3.1-8b-instruct'] });
    return {
      sim,
      deployments: [{ id: 'vllm-b', provider: 'openai-compatible', model: 'llama-3.1-8b-instruct', region: 'eu-west', tags: ['eu', 'self-hosted'], endpoint: `${sim.url}/v1` }],
      groups: [],
    };
  },
  async () => {
    const sim = await startAzureSim({ name: 'azure-sim-swedencentral', apiKey: 'demo-key-azure', region: 'Sweden Central', deployments: [{ name: 'gpt-4o', model: 'gpt-4o-2024-08-06' }] });
    return {
      sim,
      deployments: [{ id: 'azure-swedencentral', provider: 'azure-openai', model: 'gpt-4o', region: 'swedencentral', tags: ['eu', 'azure'], endpoint: sim.url, api_version: '2024-10-21', api_key: 'demo-key-azure' }],
      groups: [{ name: 'gpt-4o', deployments: ['azure-swedencentral'] }],
    };
  },
  async () => {
    // A throwaway service account: the gateway signs its own JWTs and the simulator verifies them.
    const account = createSimServiceAccount('demo-project');
    const keyFile = writeSimServiceAccount(account);
    const vertexSim = await startVertexSim({ name: 'vertex-sim-europe-west4', publicKey: account.publicKey, project: 'demo-project' });
    const sim = { ...vertexSim, close: () => vertexSim.close().finally(keyFile.remove) };
    const common = { provider: 'vertex', project: 'demo-project', region: 'europe-west4', tags: ['eu', 'gcp'], endpoint: sim.url, credentials_file: `file:${keyFile.path}`, self_signed_jwt: true };
    return {
      sim,
      deployments: [
        { id: 'vertex-europe-west4', model: 'gemini-2.5-flash', ...common },
        { id: 'vertex-europe-west4-embed', model: 'text-embedding-005', ...common },
      ],
      groups: [
        { name: 'gemini-2.5-flash', deployments: ['vertex-europe-west4'] },
        { name: 'text-embedding-005', deployments: ['vertex-europe-west4-embed'] },
      ],
    };
  },
  async () => {
    // SigV4 with throwaway keys the simulator verifies; a `us.` cross-region inference profile.
    const sim = await startBedrockSim({ name: 'bedrock-sim-us-east-1', region: 'us-east-1' });
    const common = { provider: 'bedrock', region: 'us-east-1', tags: ['us', 'aws'], endpoint: sim.url, access_key_id: SIM_CREDENTIALS.accessKeyId, secret_access_key: SIM_CREDENTIALS.secretAccessKey };
    return {
      sim,
      deployments: [
        { id: 'bedrock-us-east-1', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', ...common },
        { id: 'bedrock-us-east-1-titan-embed', model: 'amazon.titan-embed-text-v2:0', ...common },
      ],
      groups: [
        { name: 'claude-3-5-haiku', deployments: ['bedrock-us-east-1'] },
        { name: 'titan-embed-text-v2', deployments: ['bedrock-us-east-1-titan-embed'] },
      ],
    };
  },
];
