import { decodeReply, GatewayError, type ReplySource } from '../core/errors.js';
import type { StreamPart } from '../core/types.js';
import { PartStream, type ReadDecoder } from './part-stream.js';
import { Utf8Chunks } from './utf8-chunks.js';

/** A line (or an event's data) longer than this is a broken upstream, not an event: refusing it bounds memory and rescans. */
const MAX_LINE_CHARS = 8 * 1024 * 1024;

function tooLong(): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `An upstream stream line or event exceeded ${MAX_LINE_CHARS} characters.` });
}

/** One Server-Sent Event: `event` is absent when the stream names none (OpenAI, Gemini). */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * A synchronous SSE parser: feed it body chunks, get back the events they complete. Handles events
 * split across reads, CRLF, comments (`: ping`) and multi-line data. Synchronous so a dialect decoder
 * can turn one upstream read into parts without an async hop per event.
 */
export class SseParser {
  private readonly decoder = new Utf8Chunks();
  /**
   * The text after the last line break, in the pieces it came in: joined only once a line break arrives,
   * so a line read in many chunks costs its length once (joining at every read rescanned and copied it
   * each time: a 6 MB line in 64 KB reads held the event loop 2.5 s).
   */
  private rest: string[] = [];
  private restChars = 0;
  private first = true;
  private event: string | undefined;
  /** The event's data lines joined so far; undefined before its first (a string, not an array: one line is the rule). */
  private data: string | undefined;

  /** The events completed by `chunk`, in order (often none, often several). */
  push(chunk: Uint8Array): SseEvent[] {
    const out: SseEvent[] = [];
    let text = this.decoder.write(chunk);
    if (this.first && text !== '') {
      this.first = false;
      // A leading byte-order mark is not part of the stream (TextDecoder dropped it too).
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.indexOf('\n') === -1) {
      if (text === '') return out;
      this.rest.push(text);
      this.restChars += text.length;
      if (this.restChars > MAX_LINE_CHARS) throw tooLong();
      return out;
    }
    const buffer = this.rest.length === 0 ? text : this.rest.join('') + text;
    this.rest.length = 0;
    let start = 0;
    for (;;) {
      const nl = buffer.indexOf('\n', start);
      if (nl === -1) break;
      const end = nl > start && buffer.charCodeAt(nl - 1) === 13 /* \r */ ? nl - 1 : nl;
      const lineStart = start;
      start = nl + 1;
      if (end === lineStart) {
        if (this.data !== undefined) out.push({ event: this.event, data: this.data });
        this.event = undefined;
        this.data = undefined;
        continue;
      }
      if (buffer.charCodeAt(lineStart) === 58 /* : */) continue;
      const colon = buffer.indexOf(':', lineStart);
      const hasValue = colon !== -1 && colon < end;
      const fieldEnd = hasValue ? colon : end;
      let valueStart = hasValue ? colon + 1 : end;
      if (buffer.charCodeAt(valueStart) === 32 && valueStart < end) valueStart += 1;
      // Compare field names in place: only the value is ever sliced out of the buffer.
      if (fieldEnd - lineStart === 4 && buffer.startsWith('data', lineStart)) {
        const line = buffer.slice(valueStart, end);
        this.data = this.data === undefined ? line : `${this.data}\n${line}`;
        if (this.data.length > MAX_LINE_CHARS) throw tooLong();
      } else if (fieldEnd - lineStart === 5 && buffer.startsWith('event', lineStart)) this.event = buffer.slice(valueStart, end);
    }
    const left = buffer.slice(start);
    this.restChars = left.length;
    if (left !== '') this.rest.push(left);
    if (this.restChars > MAX_LINE_CHARS) throw tooLong();
    return out;
  }

  /** The event left when the body ends: only one whose lines all arrived complete counts. */
  end(): SseEvent | undefined {
    const left = this.rest.join('') + this.decoder.end();
    return this.data !== undefined && left === '' ? { event: this.event, data: this.data } : undefined;
  }
}

/** Bodies behind not-yet-started decodeSse streams, so a decoder can parse them without the hop. */
const bodies = new WeakMap<object, AsyncIterable<Uint8Array>>();

/** Decodes an SSE byte stream into events as they complete. Returns when the body ends. */
export function decodeSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const events = sseEvents(body);
  bodies.set(events, body);
  return events;
}

async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  for await (const chunk of body) yield* parser.push(chunk);
  const last = parser.end();
  if (last) yield last;
}

/**
 * The raw body behind `events` when it came straight from decodeSse and was never read, so the caller
 * may parse it itself with SseParser; undefined otherwise. Claiming it detaches it from `events`.
 */
export function takeSseBody(events: AsyncIterable<SseEvent>): AsyncIterable<Uint8Array> | undefined {
  const body = bodies.get(events);
  if (body) bodies.delete(events);
  return body;
}

/** A dialect's decoding of one SSE event into parts, with the stream's state. */
export interface SseEventDecoder {
  /** Appends the parts of one event (its data, and its name when it has one) to `out`; throws on a bad event. */
  decode(data: string, event: string | undefined, out: StreamPart[]): void;
  /** The events have ended: appends what the end completes to `out`; throws when the stream stopped short. */
  finish(out: StreamPart[]): void;
  /** True once the upstream's own end marker was decoded: what follows it is not read (see `ReadDecoder.complete`). */
  readonly complete: boolean;
}

/**
 * `events` decoded into parts by `decoder`. When the events come straight from a body (`decodeSse`),
 * the SSE parser and the decoder are fused: one upstream read becomes its parts without an async hop
 * per event or per part (`PartStream`).
 */
export function decodeSseParts(events: AsyncIterable<SseEvent>, decoder: SseEventDecoder, from: ReplySource): AsyncIterableIterator<StreamPart> {
  const body = takeSseBody(events);
  return body ? new PartStream(body[Symbol.asyncIterator](), new SseReads(decoder), from) : decodeEach(events, decoder, from);
}

async function* decodeEach(events: AsyncIterable<SseEvent>, decoder: SseEventDecoder, from: ReplySource): AsyncGenerator<StreamPart> {
  // Reads on to the end marker, not the body's end: an upstream may hold its body open after it.
  for await (const ev of events) {
    const parts: StreamPart[] = [];
    decodeReply(from, () => decoder.decode(ev.data, ev.event, parts));
    if (parts.length > 0) yield* parts;
    if (decoder.complete) return;
  }
  const last: StreamPart[] = [];
  decodeReply(from, () => decoder.finish(last));
  yield* last;
}

/** The SSE framing and an event decoder fused: one upstream read to its parts in one call. */
class SseReads implements ReadDecoder {
  private readonly parser = new SseParser();

  constructor(private readonly decoder: SseEventDecoder) {}

  get complete(): boolean {
    return this.decoder.complete;
  }

  push(chunk: Uint8Array, out: StreamPart[]): void {
    const events = this.parser.push(chunk);
    for (let i = 0; i < events.length; i++) {
      const ev = events[i] as SseEvent;
      this.decoder.decode(ev.data, ev.event, out);
    }
  }

  end(out: StreamPart[]): void {
    const last = this.parser.end();
    if (last) this.decoder.decode(last.data, last.event, out);
    this.decoder.finish(out);
  }
}
