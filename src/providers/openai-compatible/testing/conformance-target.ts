import type { ConformanceTarget } from '../../conformance.js';
import { startOpenAISim } from '../../../sim/openai/index.js';
import { OPENAI_WIRE_ERRORS } from '../../testing/openai-wire-errors.js';
import { OPENAI_WIRE_KEYS } from '../../testing/wire-keys.js';

/** The openai-compatible provider against its simulator: the shared conformance suite's target. */
export const openaiCompatibleTarget: ConformanceTarget = {
  name: 'openai-compatible',
  async setup() {
    const sim = await startOpenAISim({ apiKey: 'sk-test' });
    return {
      sim,
      deployment: { provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: '${SIM_KEY}' },
      embeddingDeployment: { provider: 'openai-compatible', model: 'text-embedding-3-small', endpoint: `${sim.url}/v1`, api_key: '${SIM_KEY}' },
      env: { SIM_KEY: 'sk-test' },
      errors: {
        ...OPENAI_WIRE_ERRORS,
        authentication: { fault: { status: 401, error: 'invalid_api_key' }, status: 502, code: null },
      },
      midStreamFault: { stream_error_after_chunks: 2 },
      wireKeys: OPENAI_WIRE_KEYS,
      passthrough: { field: 'service_tier', value: 'flex', carried: (body) => body.service_tier },
    };
  },
};
