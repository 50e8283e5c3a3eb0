import { runConformance, type ConformanceSetup } from '../conformance.js';
import { startAzureSim } from '../../sim/azure/index.js';
import { OPENAI_WIRE_ERRORS } from '../testing/openai-wire-errors.js';
import { OPENAI_WIRE_KEYS } from '../testing/wire-keys.js';

async function setup(api: 'deployments' | 'v1'): Promise<ConformanceSetup> {
  const sim = await startAzureSim({ apiKey: 'az-test-key' });
  const common = { provider: 'azure-openai', endpoint: sim.url, api, api_version: '2024-10-21', api_key: '${AZ_KEY}' };
  return {
    sim,
    deployment: { ...common, model: 'gpt-4o' },
    embeddingDeployment: { ...common, model: 'text-embedding-3-small' },
    env: { AZ_KEY: 'az-test-key' },
    errors: {
      ...OPENAI_WIRE_ERRORS,
      authentication: { fault: { status: 401 }, status: 502, code: null },
    },
    midStreamFault: { stream_error_after_chunks: 2 },
    wireKeys: OPENAI_WIRE_KEYS,
    // "On Your Data": only when the operator grants it.
    passthrough: {
      field: 'data_sources',
      value: [{ type: 'azure_search', parameters: { endpoint: 'https://search.example', index_name: 'docs' } }],
      carried: (body) => body.data_sources,
    },
    reasoning: 'tokens',
  };
}

runConformance({ name: 'azure-openai (deployment URLs)', setup: () => setup('deployments') });
runConformance({ name: 'azure-openai (v1 API)', setup: () => setup('v1') });
