import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import { DURATION_BUCKETS } from './attempt-series.js';
import { CounterCells, HistogramCells, type CounterCell, type HistogramCell } from './cells.js';

/** Who answered a request, as the HTTP layer knows it (gateway `ServedBy`). */
export interface RequestServedBy {
  group: string | undefined;
  deployment: string;
  region: string | undefined;
}

/** The cells one (route, status, served by, error) combination counts into. */
interface RequestCells {
  readonly requests: CounterCell;
  readonly duration: HistogramCell;
}

const SEP = '\u0000';

/**
 * Client request duration runs to the end of the answer, and a streamed answer (a long completion, a
 * reasoning model) often takes minutes: the GenAI buckets, which stop at 81.92 s, go on doubling to
 * about 11 minutes, so a p99 of long streams is not read as 81.92 s.
 */
const REQUEST_BUCKETS = [...DURATION_BUCKETS, 163.84, 327.68, 655.36];

/** Client requests: in flight, and counted by status and serving deployment once they end. */
export class RequestSeries {
  private inFlight = 0;
  private readonly requests: CounterCells;
  private readonly duration: HistogramCells;
  private readonly byKey = new Map<string, RequestCells>();

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
    this.requests = new CounterCells('switchyard_requests_total', 'Client requests by route, HTTP status, serving group/deployment/region and error kind.', registry);
    this.duration = new HistogramCells(
      'switchyard_request_duration_seconds',
      'Client request duration, to the end of the answer (streams included), by serving region.',
      REQUEST_BUCKETS,
      registry,
    );
  }

  started(): void {
    this.inFlight += 1;
  }

  ended(route: string, status: number, seconds: number, servedBy: RequestServedBy | undefined, errorKind: string | undefined): void {
    this.inFlight -= 1;
    const group = servedBy?.group ?? '';
    const deployment = servedBy?.deployment ?? '';
    const region = servedBy?.region ?? '';
    const error = errorKind ?? '';
    const key = route + SEP + status + SEP + group + SEP + deployment + SEP + region + SEP + error;
    let cells = this.byKey.get(key);
    if (!cells) {
      const code = String(status);
      cells = {
        requests: this.requests.cell({ route, code, group, deployment, region, error_kind: error }),
        duration: this.duration.cell({ route, code, region }),
      };
      this.byKey.set(key, cells);
    }
    cells.requests.value += 1;
    this.duration.observe(cells.duration, seconds);
  }
}
