import type { ConformanceTarget } from '../../conformance.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../../../sim/bedrock/index.js';

/** The bedrock provider against its simulator: the shared conformance suite's target. */
export const bedrockTarget: ConformanceTarget = {
  name: 'bedrock',
  async setup() {
    const sim = await startBedrockSim({ region: 'us-east-1' });
    const keys = { access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' };
    return {
      sim,
      deployment: { provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: sim.url, ...keys },
      embeddingDeployment: { provider: 'bedrock', model: 'amazon.titan-embed-text-v2:0', region: 'us-east-1', endpoint: sim.url, ...keys },
      env: { AWS_KEY_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey },
      errors: {
        rate_limited: { fault: { status: 429, error: 'ThrottlingException', retry_after_s: 0 }, status: 429, code: 'rate_limit_exceeded' },
        unavailable: { fault: { status: 503, error: 'ServiceUnavailableException' }, status: 503, code: null },
        context_window_exceeded: {
          fault: { status: 400, error: 'ValidationException', error_message: 'Input is too long for requested model.' },
          status: 400,
          code: 'context_length_exceeded',
        },
        invalid_request: { fault: { status: 400, error: 'ValidationException', error_message: 'Malformed input request.' }, status: 400, code: null },
        authentication: { fault: { status: 403, error: 'UnrecognizedClientException', error_message: 'The security token included in the request is invalid.' }, status: 502, code: null },
      },
      midStreamFault: { stream_error_after_chunks: 2 },
      wireKeys: ['messages', 'system', 'inferenceConfig', 'toolConfig', 'outputConfig', 'additionalModelRequestFields', 'additionalModelResponseFieldPaths'],
      passthrough: { field: 'anthropic_beta', value: ['token-efficient-tools-2025-02-19'], carried: (body) => (body.additionalModelRequestFields as Record<string, unknown> | undefined)?.anthropic_beta },
    };
  },
};
