import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptObserver, AttemptRecord, Operation } from '../core/events.js';
import type { DeploymentConfig } from '../config/schema.js';
import type { GatewayStatus } from '../gateway/engine.js';
import type { BatcherStats } from '../ledger/batcher.js';
import { registerLedgerCollectors, registerStatusCollectors } from './scrape.js';
import { genAiOperationName, genAiProviderName, serverAddress } from './genai.js';

/** Bucket boundaries the GenAI conventions advise for `gen_ai.client.token.usage`. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
/** ...and for `gen_ai.client.operation.duration` and time to first chunk (seconds). */
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

const GENAI_LABELS = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'server_address'] as const;

type GenAiLabels = Record<(typeof GENAI_LABELS)[number], string>;

/** Label sets of one deployment and operation, built once so the hot path allocates none for them. */
interface LabelSets {
  base: GenAiLabels;
  input: GenAiLabels & { gen_ai_token_type: string };
  output: GenAiLabels & { gen_ai_token_type: string };
}

/** Who answered a request, as the HTTP layer knows it (gateway `ServedBy`). */
export interface RequestServedBy {
  group: string | undefined;
  deployment: string;
  region: string | undefined;
}

export interface MetricsOptions {
  /** USD cost of an attempt's usage, or undefined when unpriced (the ledger's price book). */
  costOf?: (record: AttemptRecord) => number | undefined;
}

/**
 * The gateway's Prometheus metrics: the OTel GenAI client metrics (under their Prometheus names) and
 * the gateway's own `switchyard_*` series, in a registry of its own (never prom-client's global one,
 * so two gateways in one process do not mix). Labels only take values from the config (group,
 * deployment, provider, model, region, key, team) or from closed sets (error kind, role, status).
 */
export class GatewayMetrics implements AttemptObserver {
  readonly registry = new Registry();
  private readonly chatLabels = new Map<string, LabelSets>();
  private readonly embedLabels = new Map<string, LabelSets>();
  private readonly deployments = new Map<string, DeploymentConfig>();
  private status: (() => GatewayStatus) | undefined;
  private snapshot: GatewayStatus | undefined;

  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;
  private readonly firstChunk: Histogram;
  private readonly attempts: Counter;
  private readonly retries: Counter;
  private readonly fallbacks: Counter;
  private readonly cost: Counter;
  private readonly inFlight: Gauge;
  private readonly requests: Counter;
  private readonly requestDuration: Histogram;
  private readonly softLimits: Counter;

  constructor(
    deployments: readonly DeploymentConfig[],
    private readonly options: MetricsOptions = {},
  ) {
    for (const d of deployments) this.deployments.set(d.id, d);
    const registers = [this.registry];
    this.tokenUsage = new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens used per upstream operation (gen_ai.client.token.usage).',
      labelNames: [...GENAI_LABELS, 'gen_ai_token_type'],
      buckets: TOKEN_BUCKETS,
      registers,
    });
    this.duration = new Histogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'Duration of upstream operations (gen_ai.client.operation.duration); error_type on failures.',
      labelNames: [...GENAI_LABELS, 'error_type'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.firstChunk = new Histogram({
      name: 'gen_ai_client_operation_time_to_first_chunk_seconds',
      help: 'Time to the first streamed content chunk (gen_ai.client.operation.time_to_first_chunk).',
      labelNames: GENAI_LABELS,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: 'switchyard_attempts_total',
      help: 'Upstream attempts by deployment, role (primary, retry, fallback, shadow), outcome and error kind.',
      labelNames: ['group', 'deployment', 'provider', 'region', 'role', 'outcome', 'error_kind'],
      registers,
    });
    this.retries = new Counter({ name: 'switchyard_retries_total', help: 'Retries of the same deployment, by the error that caused them.', labelNames: ['group', 'deployment', 'cause'], registers });
    this.fallbacks = new Counter({
      name: 'switchyard_fallbacks_total',
      help: 'Attempts made on a deployment after falling back from another (tried or skipped), by cause.',
      labelNames: ['group', 'from', 'to', 'cause'],
      registers,
    });
    this.cost = new Counter({
      name: 'switchyard_cost_usd_total',
      help: 'Cost of upstream usage in USD (priced models only), by provider, model, region, API key and team.',
      labelNames: ['provider', 'model', 'region', 'key', 'team'],
      registers,
    });
    this.inFlight = new Gauge({ name: 'switchyard_requests_in_flight', help: 'Client requests being served by this process (streams until they end).', registers });
    this.requests = new Counter({
      name: 'switchyard_requests_total',
      help: 'Client requests by route, HTTP status, serving group/deployment/region and error kind.',
      labelNames: ['route', 'code', 'group', 'deployment', 'region', 'error_kind'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'switchyard_request_duration_seconds',
      help: 'Client request duration, to the end of the answer (streams included), by serving region.',
      labelNames: ['route', 'code', 'region'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.softLimits = new Counter({
      name: 'switchyard_budget_soft_limit_reached_total',
      help: 'Budget counters that crossed their soft limit (one per counter and period), by budget.',
      labelNames: ['budget'],
      registers,
    });
  }

  /** Adds the series read from the gateway's status at scrape time (breakers, health, retry budget). */
  watch(status: () => GatewayStatus): void {
    if (this.status) return;
    this.status = status;
    registerStatusCollectors(this.registry, () => this.snapshot ?? status());
  }

  /** Adds the ledger's write queue and spill counters, read at scrape time. */
  watchLedger(stats: () => BatcherStats | undefined): void {
    registerLedgerCollectors(this.registry, stats);
  }

  /** A budget counter crossed its soft limit (the ledger's `onSoftLimit`). */
  softLimitReached(budget: string): void {
    this.softLimits.inc({ budget });
  }

  /** The Prometheus text exposition of every metric, read at scrape time. */
  render(): Promise<string> {
    // One status snapshot per scrape: prom-client runs every collector synchronously within metrics().
    this.snapshot = this.status?.();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  onAttempt(r: AttemptRecord): void {
    const sets = this.labelsOf(r);
    const seconds = r.latencyMs / 1000;
    if (r.outcome === 'ok') this.duration.observe(sets.base, seconds);
    else this.duration.observe({ ...sets.base, error_type: r.error?.kind ?? r.outcome }, seconds);
    if (r.ttftMs !== undefined) this.firstChunk.observe(sets.base, r.ttftMs / 1000);
    const usage = r.usage;
    if (usage) {
      this.tokenUsage.observe(sets.input, usage.prompt);
      if (r.operation !== 'embed') this.tokenUsage.observe(sets.output, usage.completion);
    }
    const group = r.group ?? '';
    const region = r.region ?? '';
    this.attempts.inc({ group, deployment: r.deployment, provider: r.provider, region, role: r.role, outcome: r.outcome, error_kind: r.error?.kind ?? '' });
    if (r.role === 'retry') this.retries.inc({ group, deployment: r.deployment, cause: r.cause ?? '' });
    if (r.fallbackFrom !== undefined) this.fallbacks.inc({ group, from: r.fallbackFrom, to: r.deployment, cause: r.cause ?? '' });
    const usd = usage && this.options.costOf ? this.options.costOf(r) : undefined;
    if (usd !== undefined && usd > 0) this.cost.inc({ provider: r.provider, model: r.model, region, key: r.tags.key ?? '', team: r.tags.team ?? '' }, usd);
  }

  /** A client request started (the in-flight gauge the Kubernetes HPA scales on). */
  requestStarted(): void {
    this.inFlight.inc();
  }

  /** A client request ended with HTTP `status` after `seconds`. */
  requestEnded(route: string, status: number, seconds: number, servedBy: RequestServedBy | undefined, errorKind: string | undefined): void {
    this.inFlight.dec();
    const code = String(status);
    const region = servedBy?.region ?? '';
    this.requests.inc({ route, code, group: servedBy?.group ?? '', deployment: servedBy?.deployment ?? '', region, error_kind: errorKind ?? '' });
    this.requestDuration.observe({ route, code, region }, seconds);
  }

  private labelsOf(r: AttemptRecord): LabelSets {
    const cache = r.operation === 'embed' ? this.embedLabels : this.chatLabels;
    let sets = cache.get(r.deployment);
    if (!sets) {
      sets = buildLabels(r.operation, r.provider, r.model, this.deployments.get(r.deployment));
      cache.set(r.deployment, sets);
    }
    return sets;
  }
}

function buildLabels(operation: Operation, provider: string, model: string, deployment: DeploymentConfig | undefined): LabelSets {
  const base: GenAiLabels = {
    gen_ai_operation_name: genAiOperationName(operation),
    gen_ai_provider_name: genAiProviderName(provider),
    gen_ai_request_model: model,
    server_address: (deployment && serverAddress(deployment)) ?? '',
  };
  return { base, input: { ...base, gen_ai_token_type: 'input' }, output: { ...base, gen_ai_token_type: 'output' } };
}
