import { randomUUID } from 'node:crypto';
import type { AttemptObserver, AttemptRecord, AttemptTracing } from '../core/events.js';
import { packageVersion } from '../version.js';
import type { GatewayConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { GatewayStatus } from '../gateway/engine.js';
import type { BatcherStats } from '../ledger/batcher.js';
import type { BudgetSpend, SoftLimitNotice } from '../ledger/budgets/guard.js';
import type { GatewayMetrics, RequestServedBy } from './metrics.js';
import type { RegistryJson } from './metric-json.js';
import type { ServerSpanStart, Tracer } from './tracing.js';
import { ObservedRequest, OpenRequests, type Sinks } from './observed-request.js';

export type { ServerSpanStart } from './tracing.js';
export type { RequestServedBy } from './metrics.js';
export type { MetricJson, RegistryJson } from './metric-json.js';

/** A client request being observed: ended once, when its answer (stream included) is finished. */
export interface ServerSpan {
  /** The `traceparent` naming this request's span, for upstream calls; undefined when tracing is off. */
  readonly traceparent: string | undefined;
  end(status: number, servedBy?: RequestServedBy, errorKind?: string): void;
}

/** What GET /metrics serves. */
export interface MetricsEndpoint {
  render(): Promise<string>;
  /** The same metrics as JSON, which a `serve --workers` worker hands the primary to combine. */
  json(): Promise<RegistryJson>;
  readonly contentType: string;
}

/** Metrics and traces of one gateway, as the config asks for them. */
export interface Observability {
  /** Pass to createGateway({ observers }); undefined when metrics and tracing are both off. */
  readonly observer: AttemptObserver | undefined;
  /** Pass to createGateway({ tracing }): upstream calls carry their attempt's `traceparent`. Undefined when tracing is off. */
  readonly tracing: AttemptTracing | undefined;
  /** Undefined when `observability.metrics.enabled` is false. */
  readonly metrics: MetricsEndpoint | undefined;
  /** Reads breakers, health and the retry budget from the gateway at scrape time. */
  watch(status: () => GatewayStatus): void;
  /** Reads the ledger's queue and spill counters at scrape time. */
  watchLedger(stats: () => BatcherStats | undefined): void;
  /** Reads budget spend and hard limits at scrape time (the ledger's budget guard, `BudgetGuard.spending`). */
  watchBudgets(spending: () => Promise<readonly BudgetSpend[]>): void;
  /** Counts a budget counter crossing its soft limit (pass as the ledger's `onSoftLimit`). */
  softLimitReached(notice: SoftLimitNotice): void;
  startServerSpan(start: ServerSpanStart): ServerSpan;
  /** Exports the spans still queued, for at most `tracing.export_timeout_ms`; what is left then is dropped. */
  close(): Promise<void>;
}

export interface ObservabilityOptions {
  logger?: Logger;
  /** USD cost of an attempt's usage (the ledger's price book), for `switchyard_cost_usd_total`. */
  costOf?: (record: AttemptRecord) => number | undefined;
  now?: () => number;
}

const NO_SPAN: ServerSpan = { traceparent: undefined, end: () => undefined };

/** Builds metrics and, only when tracing is enabled, loads the tracer and its OTLP exporter. */
export async function createObservability(config: GatewayConfig, options: ObservabilityOptions = {}): Promise<Observability> {
  const oc = config.observability;
  const now = options.now ?? Date.now;
  // Only these can count: a budget's soft-limit series is exported at 0 from the start (Prometheus' "avoid missing metrics").
  const softLimitBudgets = config.budgets.limits.filter((b) => b.soft_usd !== undefined).map((b) => b.name);
  // prom-client loads only when a registry is built: a config with metrics off never imports it.
  const metrics: GatewayMetrics | undefined = oc.metrics.enabled
    ? new (await import('./metrics.js')).GatewayMetrics(config.deployments, { costOf: options.costOf, softLimitBudgets })
    : undefined;
  const tracer = oc.tracing.enabled ? await loadTracer(config, options.logger ?? silentLogger, now) : undefined;
  const sinks: Sinks = { metrics, tracer, open: new OpenRequests(), now };
  const observer: AttemptObserver | undefined =
    metrics || tracer
      ? {
          onAttempt(record) {
            metrics?.onAttempt(record);
            tracer?.onAttempt(record);
            sinks.open.get(record.requestId)?.attempted(record);
          },
        }
      : undefined;
  if (metrics && tracer) metrics.watchTracer(() => tracer.dropped);
  return {
    observer,
    tracing: tracer,
    metrics,
    watch: (status) => metrics?.watch(status),
    watchLedger: (stats) => metrics?.watchLedger(stats),
    watchBudgets: (spending) => metrics?.watchBudgets(spending),
    softLimitReached: (notice) => metrics?.softLimitReached(notice.budget),
    startServerSpan(start) {
      if (!metrics && !tracer) return NO_SPAN;
      const request = new ObservedRequest(sinks, start, now());
      sinks.open.add(request);
      metrics?.requestStarted();
      const ctx = tracer?.startServerSpan(start);
      if (ctx && tracer) request.traceparent = tracer.traceparent(ctx);
      return request;
    },
    close: async () => tracer?.close(),
  };
}

async function loadTracer(config: GatewayConfig, logger: Logger, now: () => number): Promise<Tracer<Uint8Array>> {
  const t = config.observability.tracing;
  const [{ Tracer }, { OtlpHttpExporter }] = await Promise.all([import('./tracing.js'), import('./otlp-exporter.js')]);
  const log = logger.child({ component: 'tracing' });
  const exporter = new OtlpHttpExporter({
    endpoint: t.endpoint as string,
    protocol: t.protocol,
    headers: t.headers,
    timeoutMs: t.export_timeout_ms,
    // Which release and which process (a replica, a worker) sent a span: one id per process.
    resource: { 'service.name': t.service_name, 'service.version': packageVersion(), 'service.instance.id': randomUUID(), 'telemetry.sdk.language': 'nodejs' },
    scope: { name: 'switchyard' },
    logger: log,
  });
  return new Tracer({
    deployments: config.deployments,
    exporter,
    sampleRatio: t.sample_ratio,
    now,
    // Shutdown waits for one export at most, well inside a Kubernetes grace period.
    closeTimeoutMs: t.export_timeout_ms,
    logger: log,
  });
}
