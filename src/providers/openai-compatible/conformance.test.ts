import { runConformance } from '../conformance.js';
import { startOpenAISim } from '../../sim/openai/index.js';

runConformance({
  name: 'openai-compatible',
  async setup() {
    const sim = await startOpenAISim({ apiKey: 'sk-test' });
    return {
      sim,
      deployment: { provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: '${SIM_KEY}' },
      embeddingDeployment: { provider: 'openai-compatible', model: 'text-embedding-3-small', endpoint: `${sim.url}/v1`, api_key: '${SIM_KEY}' },
      env: { SIM_KEY: 'sk-test' },
      errors: {
        rate_limited: { fault: { status: 429, retry_after_s: 0 }, status: 429, code: 'rate_limited' },
        unavailable: { fault: { status: 503 }, status: 503, code: 'unavailable' },
        context_window_exceeded: { fault: { status: 400, error: 'context_length_exceeded' }, status: 400, code: 'context_window_exceeded' },
        invalid_request: { fault: { status: 400, error: 'invalid_value' }, status: 400, code: 'invalid_request' },
        content_filtered: { fault: { status: 400, error: 'content_filter' }, status: 400, code: 'content_filtered' },
        authentication: { fault: { status: 401, error: 'invalid_api_key' }, status: 502, code: 'authentication' },
      },
      midStreamFault: { stream_error_after_chunks: 2 },
    };
  },
});
