/** Bucket boundaries the GenAI conventions advise for `gen_ai.client.token.usage`. */
export const GENAI_TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/** ...for `gen_ai.client.operation.duration` and time to first chunk (seconds). */
export const GENAI_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

/** ...for `gen_ai.server.time_to_first_token` (seconds). */
export const GENAI_FIRST_TOKEN_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * Switchyard's own durations (seconds), 1 ms to 10 minutes: a streamed answer of a reasoning model
 * runs for minutes. Doubling buckets read a 6 s latency as a p95 near 10 s. A quantile read in a bucket
 * can be off by up to the bucket's step: these step by at most 1.5x from 0.1 s to a minute, by
 * 1.2-1.33x from 1.5 s to 20 s where answers and times to first token gather (6 s reads within a
 * quarter), and coarsely at the ends: 36 in all, since buckets x label sets is the series count.
 */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10, 12.5, 15, 20, 30, 45, 60, 90, 120, 180,
  300, 450, 600,
];
