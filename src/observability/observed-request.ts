import type { AttemptRecord } from '../core/events.js';
import type { GatewayMetrics, RequestServedBy } from './metrics.js';
import type { ServerSpanStart, Tracer } from './tracing.js';

/** Where every request's span reports, shared by all of them. */
export interface Sinks {
  readonly metrics: GatewayMetrics | undefined;
  readonly tracer: Tracer<Uint8Array> | undefined;
  /** The requests whose span is open: their attempts are told to them. */
  readonly open: OpenRequests;
  readonly now: () => number;
}

/**
 * A client request from its span's start to its end. Its attempts, told to it by request id, say when
 * its first content went out and which deployment was tried last. The one object a request costs, and
 * the span the HTTP layer holds.
 */
export class ObservedRequest {
  traceparent: string | undefined = undefined;
  /** The next open request in its bucket of `OpenRequests`. */
  next: ObservedRequest | undefined = undefined;
  /** Its last attempt (no shadow copy): a request that failed is counted under it, as its error answer's headers name it. */
  private tried: AttemptRecord | undefined = undefined;
  /** Its answer went out as a stream: its first content was sent, or a cached stream replayed. */
  private streamed = false;
  private ended = false;

  constructor(
    private readonly sinks: Sinks,
    private readonly start: ServerSpanStart,
    private readonly startedAt: number,
  ) {}

  get requestId(): string {
    return this.start.requestId;
  }

  attempted(r: AttemptRecord): void {
    if (r.role === 'shadow') return;
    // A cache hit is no generation: no time to first token (nor any GenAI series), but a replayed stream still streams.
    if (r.cacheHit === true) {
      if (r.operation === 'stream') this.streamed = true;
      return;
    }
    this.tried = r;
    // Only an attempt that opened a stream has a time to first chunk, and the first to report one sent the
    // request's first content: the attempts before it failed without content, a resumed stream's come after.
    if (r.ttftMs === undefined || this.streamed) return;
    this.streamed = true;
    // Both clocks are the wall clock; a step back between the two readings is not a negative wait.
    this.sinks.metrics?.firstContent(r, Math.max(0, r.startedAt + r.ttftMs - this.startedAt) / 1000);
  }

  end(status: number, servedBy?: RequestServedBy, errorKind?: string): void {
    if (this.ended) return;
    this.ended = true;
    const { sinks, start } = this;
    sinks.open.remove(this);
    const by = servedBy ?? this.tried;
    sinks.metrics?.requestEnded(start.route, status, (sinks.now() - this.startedAt) / 1000, by, errorKind, this.streamed);
    sinks.tracer?.endServerSpan(start.requestId, status, by, errorKind);
  }
}

/** Buckets of `OpenRequests`: a power of two, so a hash's low bits pick one. */
const BUCKETS = 1024;

/** A bucket from the id's last 8 characters (FNV-1a): a UUID's are random hex, and so is any id's end mostly. */
function bucketOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(0, id.length - 8); i < id.length; i += 1) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h & (BUCKETS - 1);
}

/**
 * The open requests by request id: a fixed array of chains threaded through the requests themselves, so
 * a request opened and ended allocates nothing here. A `Map` whose entries are added and deleted once a
 * request rehashes every few requests (~150 bytes a request, `bench/metrics-cost.mjs`'s shapes).
 */
export class OpenRequests {
  private readonly heads: Array<ObservedRequest | undefined> = new Array<ObservedRequest | undefined>(BUCKETS).fill(undefined);

  add(request: ObservedRequest): void {
    const i = bucketOf(request.requestId);
    request.next = this.heads[i];
    this.heads[i] = request;
  }

  /** The open request of this id, the latest if two share it. */
  get(requestId: string): ObservedRequest | undefined {
    for (let r = this.heads[bucketOf(requestId)]; r !== undefined; r = r.next) if (r.requestId === requestId) return r;
    return undefined;
  }

  remove(request: ObservedRequest): void {
    const i = bucketOf(request.requestId);
    let r = this.heads[i];
    if (r === request) this.heads[i] = request.next;
    else {
      while (r !== undefined && r.next !== request) r = r.next;
      if (r !== undefined) r.next = request.next;
    }
    request.next = undefined;
  }
}
