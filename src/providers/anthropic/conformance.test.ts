import { runConformance } from '../conformance.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import { MESSAGES_WIRE_KEYS } from '../testing/wire-keys.js';

// Both API version regimes: x-api-key with sampling parameters, and Bearer without them.
for (const version of ['2023-06-01', '2026-10-21']) {
  runConformance({
    name: `anthropic (anthropic-version ${version})`,
    async setup() {
      const sim = await startAnthropicSim({ apiKey: 'sk-ant-test' });
      return {
        sim,
        deployment: { provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: sim.url, api_key: '${SIM_KEY}', anthropic_version: version },
        env: { SIM_KEY: 'sk-ant-test' },
        errors: {
          rate_limited: { fault: { status: 429, error: 'rate_limit_error', retry_after_s: 0 }, status: 429, code: 'rate_limit_exceeded' },
          unavailable: { fault: { status: 503, error: 'api_error' }, status: 503, code: null },
          context_window_exceeded: {
            fault: { status: 400, error: 'invalid_request_error', error_message: 'prompt is too long: 210000 tokens > 200000 maximum' },
            status: 400,
            code: 'context_length_exceeded',
          },
          invalid_request: { fault: { status: 400, error: 'invalid_request_error', error_message: 'max_tokens: Field required' }, status: 400, code: null },
          content_filtered: {
            fault: { status: 400, error: 'invalid_request_error', error_message: 'Output blocked by content filtering policy' },
            status: 400,
            code: 'content_filter',
          },
          authentication: { fault: { status: 401, error: 'authentication_error' }, status: 502, code: null },
        },
        midStreamFault: { stream_error_after_chunks: 2 },
        wireKeys: MESSAGES_WIRE_KEYS,
        passthrough: { field: 'service_tier', value: 'standard_only', carried: (body) => body.service_tier },
      };
    },
  });
}
