import { runConformance, type ConformanceSetup } from '../conformance.js';
import { startAzureSim } from '../../sim/azure/index.js';

async function setup(api: 'deployments' | 'v1'): Promise<ConformanceSetup> {
  const sim = await startAzureSim({ apiKey: 'az-test-key' });
  const common = { provider: 'azure-openai', endpoint: sim.url, api, api_version: '2024-10-21', api_key: '${AZ_KEY}' };
  return {
    sim,
    deployment: { ...common, model: 'gpt-4o' },
    embeddingDeployment: { ...common, model: 'text-embedding-3-small' },
    env: { AZ_KEY: 'az-test-key' },
    errors: {
      rate_limited: { fault: { status: 429, retry_after_s: 0 }, status: 429, code: 'rate_limited' },
      unavailable: { fault: { status: 503 }, status: 503, code: 'unavailable' },
      context_window_exceeded: { fault: { status: 400, error: 'context_length_exceeded' }, status: 400, code: 'context_window_exceeded' },
      invalid_request: { fault: { status: 400, error: 'invalid_value' }, status: 400, code: 'invalid_request' },
      content_filtered: { fault: { status: 400, error: 'content_filter' }, status: 400, code: 'content_filtered' },
      authentication: { fault: { status: 401 }, status: 502, code: 'authentication' },
    },
    midStreamFault: { stream_error_after_chunks: 2 },
  };
}

runConformance({ name: 'azure-openai (deployment URLs)', setup: () => setup('deployments') });
runConformance({ name: 'azure-openai (v1 API)', setup: () => setup('v1') });
