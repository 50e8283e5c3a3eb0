import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayError } from '../../core/errors.js';
import { isBodyStream, type BodyStream, type HttpResponse } from '../../http/exchange.js';
import { reasonPhrase } from '../../http/respond.js';
import { SseWriter } from './sse-writer.js';
import { sendsChunked, withoutTrailer } from '../chunked.js';

/** A stream being written, which a drain's deadline can end early (`cut`). */
export interface Writing {
  /**
   * Ends the stream now with its front door's error event for `error` (the upstream stopped, the attempt
   * settled cancelled with `reason`), or with its closing frames when its answer was whole already
   * (`BodyStream.interrupt`); resolves once that is handed to the socket. Undefined when it cannot: its
   * last frames are decided already, or it is no stream of a front door's.
   */
  cut(error: GatewayError, reason: GatewayError): Promise<void> | undefined;
  /** Its last frames are decided (they wait for the usage to be journaled): it ends by itself. */
  readonly ending: boolean;
}

/** Writes the handler's answer: a whole body in one `end`, a stream chunk by chunk with backpressure. */
export function writeAnswer(res: ServerResponse, answer: HttpResponse, stallMs: number): Writing | undefined {
  const { body } = answer;
  const headers: OutgoingHttpHeaders = answer.headers;
  // RFC 9110: a 204 (a CORS preflight's answer) carries no Content-Length; node:http would send ours.
  if (!isBodyStream(body) && answer.status !== 204) headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  // A caller without a valid key keeps no idle connection: the keep-alive window each would let anyone
  // fill `max_connections` with a few requests a second.
  if (answer.status === 401) headers.connection = 'close';
  const chunked = sendsChunked(res, answer.status);
  try {
    if (res.destroyed) throw new Error('The client went away before the answer.');
    res.writeHead(answer.status, reasonPhrase(answer.status), chunked ? headers : withoutTrailer(headers));
  } catch {
    // Not one chunk will be read: close the stream (its upstream) and settle the attempt now.
    if (isBodyStream(body)) void body[Symbol.asyncIterator]().return?.();
    res.destroy();
    return undefined;
  }
  if (!isBodyStream(body)) {
    res.end(body);
    return undefined;
  }
  const pump = new Pump(res, answer, body, stallMs, chunked);
  void pump.run();
  return pump;
}

/**
 * Pulls the next chunk only once the last one was handed to the socket and the socket has drained;
 * when the client has gone, stops pulling and returns the stream (closing its upstream).
 */
class Pump implements Writing {
  private readonly chunks: AsyncIterator<string>;
  private readonly out: SseWriter;
  /** `cut` took the end over: the loop writes nothing more. */
  private cutting = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly answer: HttpResponse,
    private readonly body: BodyStream,
    stallMs: number,
    private readonly chunked: boolean,
  ) {
    this.chunks = body[Symbol.asyncIterator]();
    this.out = new SseWriter(res, stallMs, body);
  }

  async run(): Promise<void> {
    const { res, chunks } = this;
    try {
      for (;;) {
        if (this.cutting) return;
        if (res.destroyed) {
          await chunks.return?.();
          return;
        }
        const next = await chunks.next();
        if (next.done || this.cutting) break;
        const drained = this.out.add(next.value);
        if (drained) await drained;
      }
    } catch {
      if (!this.cutting) res.destroy();
      return;
    }
    if (!this.cutting) this.end('');
  }

  get ending(): boolean {
    return this.body.ending === true;
  }

  cut(error: GatewayError, reason: GatewayError): Promise<void> | undefined {
    const last = this.res.destroyed ? undefined : this.body.interrupt?.(error, reason);
    if (last === undefined) return undefined;
    this.cutting = true;
    return (
      last
        .then((frames) => this.end(frames))
        // The door could not encode its error event: cut off, as before.
        .catch(() => void this.res.destroy())
        .finally(() => void this.chunks.return?.())
    );
  }

  /** The trailers (the cost, once the stream has settled), then what is queued and `last`, and the end. */
  private end(last: string): void {
    const trailers = this.chunked ? this.answer.trailers?.() : undefined;
    if (trailers && !this.res.destroyed) this.res.addTrailers(trailers);
    this.out.end(last);
  }
}
