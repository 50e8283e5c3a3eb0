import type { Registry } from 'prom-client';
import type { DeploymentConfig } from '../config/schema.js';
import type { AttemptRecord } from '../core/events.js';
import { CounterCells, HistogramCells, type CounterCell, type HistogramCell, type Labels } from './cells.js';
import { GENAI_DURATION_BUCKETS, GENAI_TOKEN_BUCKETS, LATENCY_BUCKETS } from './buckets.js';
import { genAiOperationName, genAiProviderName, serverOf } from './genai.js';

/**
 * The series one deployment's attempts (of one GenAI operation) write to, looked up once. The
 * config-fixed labels are resolved here; the per-request ones (group, role, outcome, error, key,
 * team) key small maps of cells. `provider`, `model` and `region` tell a stale entry after a reload.
 */
interface DeploymentCells {
  readonly provider: string;
  readonly model: string;
  readonly region: string | undefined;
  /** The GenAI labels; cells are made on first use, so a series appears once it has a sample. */
  readonly base: Labels;
  ok: HistogramCell | undefined;
  readonly failed: Map<string, HistogramCell>;
  /** `switchyard_attempt_duration_seconds` cells by outcome and whether content was streamed. */
  readonly latency: Map<string, HistogramCell>;
  firstChunk: HistogramCell | undefined;
  input: HistogramCell | undefined;
  output: HistogramCell | undefined;
  estimatedInput: HistogramCell | undefined;
  estimatedOutput: HistogramCell | undefined;
  readonly attempts: Map<string, CounterCell>;
  readonly retries: Map<string, CounterCell>;
  readonly fallbacks: Map<string, CounterCell>;
  readonly cost: Map<string, CounterCell>;
}

const SEP = '\u0000';

/**
 * The per-attempt series: the OTel GenAI client metrics under their Prometheus names, and the
 * gateway's attempts, retries, fallbacks and cost. Recording an attempt costs a few map lookups and
 * additions; the registry reads the cells when Prometheus scrapes.
 */
export class AttemptSeries {
  private readonly tokenUsage: HistogramCells;
  private readonly estimatedTokens: HistogramCells;
  private readonly duration: HistogramCells;
  private readonly firstChunk: HistogramCells;
  private readonly latency: HistogramCells;
  private readonly attempts: CounterCells;
  private readonly retries: CounterCells;
  private readonly fallbacks: CounterCells;
  private readonly cost: CounterCells;
  private readonly cacheHits: CounterCells;
  /** Cache-hit cells by group and deployment. */
  private readonly hits = new Map<string, CounterCell>();
  private readonly chat = new Map<string, DeploymentCells>();
  private readonly embed = new Map<string, DeploymentCells>();

  constructor(
    registry: Registry,
    private readonly deployments: ReadonlyMap<string, DeploymentConfig>,
    private readonly costOf: ((record: AttemptRecord) => number | undefined) | undefined,
  ) {
    this.tokenUsage = new HistogramCells('gen_ai_client_token_usage', 'Tokens used per upstream operation (gen_ai.client.token.usage).', GENAI_TOKEN_BUCKETS, registry);
    // The conventions allow no guessed counts in gen_ai.client.token.usage (offline counting only where a
    // user enabled it); the gateway's estimate, which the ledger bills, is counted apart under the same labels.
    this.estimatedTokens = new HistogramCells(
      'switchyard_estimated_token_usage',
      "Tokens the gateway estimated per upstream operation whose upstream reported no usage (billed as estimated; not in gen_ai_client_token_usage).",
      GENAI_TOKEN_BUCKETS,
      registry,
    );
    this.duration = new HistogramCells('gen_ai_client_operation_duration_seconds', 'Duration of upstream operations (gen_ai.client.operation.duration); error_type on failures.', GENAI_DURATION_BUCKETS, registry);
    this.firstChunk = new HistogramCells(
      'gen_ai_client_operation_time_to_first_chunk_seconds',
      'Time to the first streamed content chunk (gen_ai.client.operation.time_to_first_chunk).',
      GENAI_DURATION_BUCKETS,
      registry,
    );
    // The GenAI series keep the conventions' doubling buckets and name no deployment: this one gives a
    // deployment's latency on Switchyard's finer ladder (`buckets.ts`).
    this.latency = new HistogramCells(
      'switchyard_attempt_duration_seconds',
      'Duration of upstream attempts by deployment, outcome and stream ("true": content was streamed, to the end of the stream).',
      LATENCY_BUCKETS,
      registry,
    );
    this.attempts = new CounterCells('switchyard_attempts_total', 'Upstream attempts by deployment, role (primary, retry, fallback, shadow), outcome and error kind.', registry);
    this.retries = new CounterCells('switchyard_retries_total', 'Retries of the same deployment, by the error that caused them.', registry);
    this.fallbacks = new CounterCells('switchyard_fallbacks_total', 'Attempts made on a deployment after falling back from another (tried or skipped), by cause.', registry);
    this.cost = new CounterCells('switchyard_cost_usd_total', 'Cost of upstream usage in USD (priced models only), by provider, model, region, API key and team.', registry);
    this.cacheHits = new CounterCells('switchyard_cache_hits_total', 'Requests answered from the response cache, by group and the deployment whose answer was cached.', registry);
  }

  record(r: AttemptRecord): void {
    // A cached answer made no upstream call: it is no GenAI operation and no attempt.
    if (r.cacheHit === true) return this.recordCacheHit(r);
    const cells = this.cellsOf(r);
    const seconds = r.latencyMs / 1000;
    const errorKind = r.error?.kind;
    if (r.outcome === 'ok') this.duration.observe((cells.ok ??= this.duration.cell(cells.base)), seconds);
    else this.duration.observe(this.failedCell(cells, errorKind ?? r.outcome), seconds);
    this.latency.observe(this.latencyCell(cells, r), seconds);
    if (r.ttftMs !== undefined) this.firstChunk.observe((cells.firstChunk ??= this.firstChunk.cell(cells.base)), r.ttftMs / 1000);
    const usage = r.usage;
    if (usage && r.usageEstimated) {
      const est = this.estimatedTokens;
      est.observe((cells.estimatedInput ??= est.cell({ ...cells.base, gen_ai_token_type: 'input' })), usage.prompt);
      if (r.operation !== 'embed') est.observe((cells.estimatedOutput ??= est.cell({ ...cells.base, gen_ai_token_type: 'output' })), usage.completion);
    } else if (usage) {
      this.tokenUsage.observe((cells.input ??= this.tokenUsage.cell({ ...cells.base, gen_ai_token_type: 'input' })), usage.prompt);
      if (r.operation !== 'embed') this.tokenUsage.observe((cells.output ??= this.tokenUsage.cell({ ...cells.base, gen_ai_token_type: 'output' })), usage.completion);
    }
    const group = r.group ?? '';
    this.attemptCell(cells, r, group, errorKind ?? '').value += 1;
    if (r.role === 'retry') this.retryCell(cells, r, group).value += 1;
    if (r.fallbackFrom !== undefined) this.fallbackCell(cells, r, group, r.fallbackFrom).value += 1;
    const usd = usage && this.costOf ? this.costOf(r) : undefined;
    if (usd !== undefined && usd > 0) this.costCell(cells, r).value += usd;
  }

  private recordCacheHit(r: AttemptRecord): void {
    const group = r.group ?? '';
    const key = group + SEP + r.deployment;
    let cell = this.hits.get(key);
    if (!cell) {
      cell = this.cacheHits.cell({ group, deployment: r.deployment });
      this.hits.set(key, cell);
    }
    cell.value += 1;
  }

  private cellsOf(r: AttemptRecord): DeploymentCells {
    const byDeployment = r.operation === 'embed' ? this.embed : this.chat;
    let cells = byDeployment.get(r.deployment);
    if (!cells || cells.provider !== r.provider || cells.model !== r.model || cells.region !== r.region) {
      cells = this.build(r);
      byDeployment.set(r.deployment, cells);
    }
    return cells;
  }

  private build(r: AttemptRecord): DeploymentCells {
    const d = this.deployments.get(r.deployment);
    const server = d && serverOf(d);
    const base = {
      gen_ai_operation_name: genAiOperationName(r.operation),
      gen_ai_provider_name: genAiProviderName(r.provider),
      gen_ai_request_model: r.model,
      server_address: server?.address ?? '',
      // Conditionally required beside server.address by the conventions; fixed by the config, so bounded.
      server_port: server ? String(server.port) : '',
    };
    return {
      provider: r.provider,
      model: r.model,
      region: r.region,
      base,
      ok: undefined,
      failed: new Map(),
      latency: new Map(),
      firstChunk: undefined,
      input: undefined,
      output: undefined,
      estimatedInput: undefined,
      estimatedOutput: undefined,
      attempts: new Map(),
      retries: new Map(),
      fallbacks: new Map(),
      cost: new Map(),
    };
  }

  private failedCell(cells: DeploymentCells, errorType: string): HistogramCell {
    let cell = cells.failed.get(errorType);
    if (!cell) {
      cell = this.duration.cell({ ...cells.base, error_type: errorType });
      cells.failed.set(errorType, cell);
    }
    return cell;
  }

  private latencyCell(cells: DeploymentCells, r: AttemptRecord): HistogramCell {
    const stream = r.ttftMs === undefined ? 'false' : 'true';
    const key = r.outcome + SEP + stream;
    let cell = cells.latency.get(key);
    if (!cell) {
      cell = this.latency.cell({ deployment: r.deployment, outcome: r.outcome, stream });
      cells.latency.set(key, cell);
    }
    return cell;
  }

  private attemptCell(cells: DeploymentCells, r: AttemptRecord, group: string, errorKind: string): CounterCell {
    const key = group + SEP + r.role + SEP + r.outcome + SEP + errorKind;
    let cell = cells.attempts.get(key);
    if (!cell) {
      cell = this.attempts.cell({ group, deployment: r.deployment, provider: r.provider, region: r.region ?? '', role: r.role, outcome: r.outcome, error_kind: errorKind });
      cells.attempts.set(key, cell);
    }
    return cell;
  }

  private retryCell(cells: DeploymentCells, r: AttemptRecord, group: string): CounterCell {
    const cause = r.cause ?? '';
    const key = group + SEP + cause;
    let cell = cells.retries.get(key);
    if (!cell) {
      cell = this.retries.cell({ group, deployment: r.deployment, cause });
      cells.retries.set(key, cell);
    }
    return cell;
  }

  private fallbackCell(cells: DeploymentCells, r: AttemptRecord, group: string, from: string): CounterCell {
    const cause = r.cause ?? '';
    const key = group + SEP + from + SEP + cause;
    let cell = cells.fallbacks.get(key);
    if (!cell) {
      cell = this.fallbacks.cell({ group, from, to: r.deployment, cause });
      cells.fallbacks.set(key, cell);
    }
    return cell;
  }

  private costCell(cells: DeploymentCells, r: AttemptRecord): CounterCell {
    const key = r.tags.key ?? '';
    const team = r.tags.team ?? '';
    const mapKey = key + SEP + team;
    let cell = cells.cost.get(mapKey);
    if (!cell) {
      cell = this.cost.cell({ provider: r.provider, model: r.model, region: r.region ?? '', key, team });
      cells.cost.set(mapKey, cell);
    }
    return cell;
  }
}
