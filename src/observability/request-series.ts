import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import { GENAI_FIRST_TOKEN_BUCKETS, LATENCY_BUCKETS } from './buckets.js';
import { CounterCells, HistogramCells, type CounterCell, type HistogramCell } from './cells.js';
import { genAiProviderName } from './genai.js';

/** Who answered a request, as the HTTP layer knows it (gateway `ServedBy`), or the deployment tried last. */
export interface RequestServedBy {
  group: string | undefined;
  /** Undefined for a request refused before any attempt (a budget's refusal), which still names its group. */
  deployment: string | undefined;
  region: string | undefined;
}

/** The attempt whose first content was the first a client got (an `AttemptRecord`'s fields). */
export interface FirstContent extends RequestServedBy {
  deployment: string;
  provider: string;
  model: string;
}

/** The cells one (route, status, served by, error) combination counts into. */
interface RequestCells {
  readonly requests: CounterCell;
  readonly duration: HistogramCell;
}

/** One deployment's time-to-first-token cells by group; `provider`, `model` and `region` tell a stale entry after a reload. */
interface FirstTokenCells {
  readonly provider: string;
  readonly model: string;
  readonly region: string | undefined;
  readonly byGroup: Map<string, HistogramCell>;
}

const SEP = '\u0000';


/** Client requests: in flight, counted by status and serving deployment once they end, and their time to first token. */
export class RequestSeries {
  private inFlight = 0;
  private readonly requests: CounterCells;
  private readonly duration: HistogramCells;
  private readonly firstToken: HistogramCells;
  /** Cells by key, one map for answers that were not streamed and one for those that were (no key to build for it). */
  private readonly byKey: readonly [Map<string, RequestCells>, Map<string, RequestCells>] = [new Map(), new Map()];
  private readonly firstTokenCells = new Map<string, FirstTokenCells>();

  constructor(registry: Registry) {
    const read = (): number => this.inFlight;
    new Gauge({
      name: 'switchyard_requests_in_flight',
      help: 'Client requests being served by this process, all its workers with serve --workers (streams until they end).',
      registers: [registry],
      // The HPA's per-pod load: every worker's requests count.
      aggregator: 'sum',
      collect() {
        this.set(read());
      },
    });
    this.requests = new CounterCells('switchyard_requests_total', 'Client requests by route, HTTP status, serving (or last tried) group/deployment/region and error kind.', registry);
    this.duration = new HistogramCells(
      'switchyard_request_duration_seconds',
      'Client request duration, to the end of the answer (a streamed one to its end: stream="true"), by serving region.',
      // Runs to the end of the answer, and a streamed one (a long completion, a reasoning model) often takes minutes.
      LATENCY_BUCKETS,
      registry,
    );
    this.firstToken = new HistogramCells(
      'gen_ai_server_time_to_first_token_seconds',
      "Time from a client request's arrival to its first streamed content (gen_ai.server.time_to_first_token), failed attempts, backoff and fallbacks before it included; streams only.",
      GENAI_FIRST_TOKEN_BUCKETS,
      registry,
    );
  }

  started(): void {
    this.inFlight += 1;
  }

  /**
   * A request ended with HTTP `status` after `seconds`; `streamed`: its answer went out as a stream (its
   * first content sent), whose duration runs to the stream's end.
   */
  ended(route: string, status: number, seconds: number, servedBy: RequestServedBy | undefined, errorKind: string | undefined, streamed = false): void {
    this.inFlight -= 1;
    const group = servedBy?.group ?? '';
    const deployment = servedBy?.deployment ?? '';
    const region = servedBy?.region ?? '';
    const error = errorKind ?? '';
    const key = route + SEP + status + SEP + group + SEP + deployment + SEP + region + SEP + error;
    const byKey = this.byKey[streamed ? 1 : 0];
    let cells = byKey.get(key);
    if (!cells) {
      const code = String(status);
      cells = {
        requests: this.requests.cell({ route, code, group, deployment, region, error_kind: error }),
        duration: this.duration.cell({ route, code, region, stream: streamed ? 'true' : 'false' }),
      };
      byKey.set(key, cells);
    }
    cells.requests.value += 1;
    this.duration.observe(cells.duration, seconds);
  }

  /** A streamed answer's first content went out `seconds` after its request arrived, from `by`'s attempt. */
  firstContent(by: FirstContent, seconds: number): void {
    let cells = this.firstTokenCells.get(by.deployment);
    if (!cells || cells.provider !== by.provider || cells.model !== by.model || cells.region !== by.region) {
      cells = { provider: by.provider, model: by.model, region: by.region, byGroup: new Map() };
      this.firstTokenCells.set(by.deployment, cells);
    }
    const group = by.group ?? '';
    let cell = cells.byGroup.get(group);
    if (!cell) {
      cell = this.firstToken.cell({
        gen_ai_operation_name: 'chat',
        gen_ai_provider_name: genAiProviderName(by.provider),
        gen_ai_request_model: by.model,
        group,
        deployment: by.deployment,
        region: by.region ?? '',
      });
      cells.byGroup.set(group, cell);
    }
    this.firstToken.observe(cell, seconds);
  }
}
