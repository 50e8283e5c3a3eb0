import * as z from '../config/zod.js';
import { timerMs } from '../config/timer.js';
import { httpUrl } from '../config/url.js';
import { headerSecretRef } from '../config/secret-ref.js';
import { headerProblem } from '../providers/transport/request-head.js';

const TRACING_DEFAULTS = { enabled: false, protocol: 'http/protobuf' as const, headers: {}, service_name: 'switchyard', sample_ratio: 1, export_timeout_ms: 10_000 };

export const tracingSchema = z
  .strictObject({
    enabled: z.boolean().default(TRACING_DEFAULTS.enabled),
    /** The collector's OTLP/HTTP traces URL, e.g. http://otel-collector:4318/v1/traces. */
    endpoint: httpUrl({
      invalid: 'expected an http(s) URL such as http://otel-collector:4318/v1/traces',
      fix: 'use headers (e.g. authorization: ${OTLP_TOKEN}), whose values are secrets',
      query: 'plain',
    }).optional(),
    /** OTLP/HTTP's encoding: binary protobuf (the OTel default, which every collector takes) or JSON. */
    protocol: z.enum(['http/protobuf', 'http/json']).default(TRACING_DEFAULTS.protocol),
    /** OTLP headers (e.g. an API key for a hosted collector), each a secret: a literal, `${ENV}` or `file:/path`. */
    headers: z
      .record(z.string(), headerSecretRef)
      // Checked as a deployment's headers are, so a bad one never reaches the exporter's socket.
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers)) {
          const problem = headerProblem(name, '');
          if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: `the header ${problem}` });
        }
      })
      .default(TRACING_DEFAULTS.headers),
    service_name: z.string().min(1).default(TRACING_DEFAULTS.service_name),
    /** Share of new traces recorded; a client's `traceparent` decides for its own trace. */
    sample_ratio: z.number().min(0).max(1).default(TRACING_DEFAULTS.sample_ratio),
    export_timeout_ms: timerMs().positive().default(TRACING_DEFAULTS.export_timeout_ms),
  })
  .superRefine((t, ctx) => {
    if (t.enabled && !t.endpoint) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'tracing needs an endpoint (the collector\'s OTLP/HTTP traces URL)' });
  })
  .default(TRACING_DEFAULTS);

export const observabilitySchema = z
  .strictObject({
    /** GET /metrics in the Prometheus text format, one registry per gateway. */
    metrics: z
      .strictObject({
        enabled: z.boolean().default(true),
        /**
         * true: scrapes need no API key; false: an admin or `role: metrics` key (on a gateway without
         * keys every caller is the anonymous admin, so that changes nothing). Unset: public only on a
         * gateway without keys, as the series name key ids, teams and their spend (`metricsArePublic`).
         */
        public: z.boolean().optional(),
      })
      .default({ enabled: true }),
    tracing: tracingSchema,
  })
  .default({ metrics: { enabled: true }, tracing: TRACING_DEFAULTS });

/** Whether GET /metrics answers without an API key: as configured, else only when no key exists. */
export function metricsArePublic(config: { observability: ObservabilityConfig; api_keys: readonly unknown[]; keys: { hmac_secret?: unknown } }): boolean {
  return config.observability.metrics.public ?? (config.api_keys.length === 0 && config.keys.hmac_secret === undefined);
}

export type ObservabilityConfig = z.infer<typeof observabilitySchema>;
export type TracingConfig = z.infer<typeof tracingSchema>;
