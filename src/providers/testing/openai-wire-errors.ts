import type { ConformanceSetup } from '../conformance.js';

/**
 * Conformance error cases of the OpenAI wire: the OpenAI-compatible and Azure simulators answer these
 * fault rules alike and the openai-chat dialect maps them alike, so both suites share one table.
 */
export const OPENAI_WIRE_ERRORS = {
  rate_limited: { fault: { status: 429, retry_after_s: 0 }, status: 429, code: 'rate_limit_exceeded' },
  unavailable: { fault: { status: 503 }, status: 503, code: null },
  context_window_exceeded: { fault: { status: 400, error: 'context_length_exceeded' }, status: 400, code: 'context_length_exceeded' },
  invalid_request: { fault: { status: 400, error: 'invalid_value' }, status: 400, code: null },
  content_filtered: { fault: { status: 400, error: 'content_filter' }, status: 400, code: 'content_filter' },
} satisfies Omit<ConformanceSetup['errors'], 'authentication'>;
