import { runConformance } from '../conformance.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import { MESSAGES_WIRE_KEYS } from '../testing/wire-keys.js';

const PROJECT = 'conf-project';

runConformance({
  name: 'vertex (gemini)',
  async setup() {
    const account = createSimServiceAccount(PROJECT);
    const sim = await startVertexSim({ publicKey: account.publicKey, project: PROJECT });
    const common = { provider: 'vertex', project: PROJECT, region: 'europe-west4', endpoint: sim.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true };
    return {
      sim,
      deployment: { ...common, model: 'gemini-2.5-flash' },
      embeddingDeployment: { ...common, model: 'gemini-embedding-001' },
      env: { VERTEX_SA: account.json },
      errors: {
        rate_limited: { fault: { status: 429, error: 'RESOURCE_EXHAUSTED', retry_after_s: 0 }, status: 429, code: 'rate_limit_exceeded' },
        unavailable: { fault: { status: 503, error: 'UNAVAILABLE' }, status: 503, code: null },
        context_window_exceeded: {
          fault: { status: 400, error: 'INVALID_ARGUMENT', error_message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).' },
          status: 400,
          code: 'context_length_exceeded',
        },
        invalid_request: { fault: { status: 400, error: 'INVALID_ARGUMENT' }, status: 400, code: null },
        // A blocked prompt is a 200 with promptFeedback.blockReason and no candidates.
        content_filtered: { fault: { error: 'PROMPT_BLOCKED' }, status: 400, code: 'content_filter' },
        authentication: { fault: { status: 401, error: 'UNAUTHENTICATED' }, status: 502, code: null },
      },
      midStreamFault: { stream_error_after_chunks: 2 },
      wireKeys: ['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig'],
      // generationConfig is a closed schema: there is nowhere to put a field Switchyard does not map.
      passthrough: 'refused',
    };
  },
});

runConformance({
  name: 'vertex (claude)',
  async setup() {
    const account = createSimServiceAccount(PROJECT);
    const sim = await startVertexSim({ publicKey: account.publicKey, project: PROJECT });
    return {
      sim,
      deployment: {
        provider: 'vertex',
        publisher: 'anthropic',
        model: 'claude-sonnet-4-5@20250929',
        project: PROJECT,
        location: 'us-east5',
        endpoint: sim.url,
        credentials_file: '${VERTEX_SA}',
        self_signed_jwt: true,
      },
      env: { VERTEX_SA: account.json },
      errors: {
        // Vertex's own quota refusal comes in Google's shape; the model's errors in Anthropic's.
        rate_limited: { fault: { status: 429, error: 'RESOURCE_EXHAUSTED' }, status: 429, code: 'rate_limit_exceeded' },
        unavailable: { fault: { status: 503, error: 'UNAVAILABLE' }, status: 503, code: null },
        context_window_exceeded: { fault: { status: 400, error: 'invalid_request_error', error_message: 'prompt is too long: 210000 tokens > 200000 maximum' }, status: 400, code: 'context_length_exceeded' },
        invalid_request: { fault: { status: 400, error: 'invalid_request_error' }, status: 400, code: null },
        authentication: { fault: { status: 401, error: 'UNAUTHENTICATED' }, status: 502, code: null },
      },
      midStreamFault: { stream_error_after_chunks: 2 },
      wireKeys: MESSAGES_WIRE_KEYS,
      passthrough: { field: 'service_tier', value: 'standard_only', carried: (body) => body.service_tier },
    };
  },
});
