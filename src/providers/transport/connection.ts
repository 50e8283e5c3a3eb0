import type { Socket } from 'node:net';
import { endOfTurn } from '../../core/end-of-turn.js';
import type { OutgoingRequest } from './request-head.js';
import { ResponseParser, type ResponseEvents, type ResponseHead } from './response-parser.js';

/**
 * What one upstream exchange reports, in order: `onConnect` once at dispatch (with the abort that
 * works from then on, queued or in flight), `onHeaders`, `onData` per body chunk, then exactly one
 * of `onComplete` or `onError`. `false` from `onHeaders` or `onData` pauses the socket until
 * `resume` is called. The shape of undici's dispatch handler, whose place this takes, with one
 * addition: `onError` tells whether the request was never written (it failed or was aborted before it
 * had a connection), so a caller can tell a cancellation that cost the upstream nothing.
 */
export interface ExchangeHandler {
  onConnect(abort: (reason: Error) => void): void;
  onHeaders(status: number, headers: ResponseHead['headers'], resume: () => void): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(err: Error, unsent: boolean): void;
}

/** A transport failure with a code `transportError` can map (Node's socket codes pass through as they are). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: 'CONNECT_TIMEOUT' | 'SOCKET_CLOSED' | 'POOL_CLOSED',
  ) {
    super(message);
  }
}

/** One request's place in the pool: queued, then on a connection, then settled. */
export class Exchange {
  connection: Connection | undefined;
  /** The request line and headers, serialised (and checked) at dispatch. */
  head = '';
  settled = false;
  /** Its request was handed to the socket. */
  written = false;
  /** Handed to `onConnect`: cancels the exchange wherever it is. */
  readonly abort = (reason: Error): void => this.owner.abort(this, reason);
  /** Handed to `onHeaders`: reads the socket on after a pause, while this exchange is still on it. */
  readonly resume = (): void => {
    if (!this.settled) this.connection?.resume(this);
  };

  constructor(
    readonly request: OutgoingRequest,
    readonly handler: ExchangeHandler,
    private readonly owner: { abort(exchange: Exchange, reason: Error): void },
  ) {}

  /** Ends the exchange with an error, once; unsent when its request was never written (queued, or waiting for the end of the turn). */
  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.handler.onError(err, !this.written);
  }
}

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The connection has just opened: give it the next exchange or keep it idle. */
  ready(connection: Connection): void;
  /** The connection's answer is complete and it may carry another, once it is known to be still open. */
  released(connection: Connection): void;
  /** The socket is gone (closed, failed or destroyed). */
  closed(connection: Connection, err: Error | undefined): void;
}

/**
 * One keep-alive socket to an upstream, carrying one exchange at a time (no pipelining). Its
 * listeners are set once per socket, not per request.
 */
export class Connection implements ResponseEvents {
  exchange: Exchange | undefined;
  /** When it last went idle (ms, `Date.now()`), and how long it may stay so. */
  idleSince = 0;
  keepAliveMs: number;
  private open = false;
  private paused = false;
  private error: Error | undefined;
  private readonly parser = new ResponseParser(this);

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    keepAliveMs: number,
    connectTimeoutMs: number,
    secure: boolean,
  ) {
    this.keepAliveMs = keepAliveMs;
    socket.setNoDelay(true);
    socket.setTimeout(connectTimeoutMs, () => socket.destroy(new TransportError(`No connection within ${connectTimeoutMs} ms.`, 'CONNECT_TIMEOUT')));
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 60_000);
      this.open = true;
      this.owner.ready(this);
    });
    socket.on('data', (data: Buffer) => this.read(data));
    socket.on('end', () => this.ended());
    socket.on('error', (err: Error) => {
      this.error ??= err;
      this.failExchange(err);
    });
    socket.on('close', () => {
      this.failExchange(new TransportError('The upstream closed the connection before its response was complete.', 'SOCKET_CLOSED'));
      this.owner.closed(this, this.error);
    });
  }

  get connected(): boolean {
    return this.open;
  }

  /** Open, idle, and neither closed nor sent to by the upstream since its last answer. */
  get reusable(): boolean {
    return this.open && this.exchange === undefined && !this.socket.destroyed && this.socket.writable;
  }

  /**
   * Takes the exchange; its request is written at the end of this turn of the event loop (`writeTurn`),
   * or at once when the caller already runs there (`atEndOfTurn`: a pool's check-phase reuse, where
   * waiting for the next check phase would cost an extra poll of the loop before the write), and the
   * response comes back through the parser's events.
   */
  send(exchange: Exchange, atEndOfTurn = false): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.parser.expect(false);
    this.socket.ref();
    if (atEndOfTurn) return this.write();
    turnWrites.push(this);
    if (turnWrites.length === 1) void endOfTurn().then(writeTurn);
  }

  /** Writes the request of the exchange it took, unless that ended meanwhile (aborted, or the socket closed). */
  write(): void {
    const exchange = this.exchange;
    if (exchange === undefined || exchange.written || exchange.settled || this.socket.destroyed) return;
    exchange.written = true;
    const body = exchange.request.body;
    if (body === undefined) this.socket.write(exchange.head, 'latin1');
    else if (typeof body === 'string') this.socket.write(exchange.head + body);
    else {
      this.socket.cork();
      this.socket.write(exchange.head, 'latin1');
      this.socket.write(body);
      this.socket.uncork();
    }
  }

  /** Drops the socket; an exchange on it fails with `reason` first. */
  destroy(reason?: Error): void {
    const exchange = this.exchange;
    if (exchange !== undefined) {
      this.exchange = undefined;
      this.parser.reset();
      if (reason !== undefined) exchange.fail(reason);
    }
    this.socket.destroy();
  }

  onHead(head: ResponseHead): void {
    const exchange = this.exchange;
    if (exchange === undefined) return;
    if (head.keepAliveHintMs !== undefined) {
      // As undici does: a second less than the upstream promised, so we never reuse a socket it is closing.
      this.keepAliveMs = Math.min(this.keepAliveMs, head.keepAliveHintMs - 1_000);
    }
    if (exchange.handler.onHeaders(head.status, head.headers, exchange.resume) === false) this.pause();
  }

  onBody(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange !== undefined && exchange.handler.onData(chunk) === false) this.pause();
  }

  onEnd(reusable: boolean): void {
    const exchange = this.exchange;
    if (exchange === undefined) return;
    this.exchange = undefined;
    exchange.settled = true;
    // Before the connection can carry the next exchange: a throwing handler then fails no one else's.
    exchange.handler.onComplete();
    // An answer that came before the whole request was written leaves the connection mid-request.
    if (reusable && this.socket.writableLength === 0 && this.keepAliveMs > 0) {
      this.unpause();
      this.owner.released(this);
    } else this.socket.destroy();
  }

  /** The exchange's reader caught up: read on, if that exchange is still the one on this socket. */
  resume(exchange: Exchange): void {
    if (this.exchange === exchange) this.unpause();
  }

  private unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private read(data: Buffer): void {
    try {
      this.parser.execute(data);
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  private ended(): void {
    if (this.exchange === undefined) return this.destroy();
    try {
      this.parser.finish();
    } catch {
      this.destroy(new TransportError('The upstream closed the connection before its response was complete.', 'SOCKET_CLOSED'));
    }
  }

  private failExchange(err: Error): void {
    const exchange = this.exchange;
    if (exchange === undefined) return;
    this.exchange = undefined;
    this.parser.reset();
    exchange.fail(err);
  }
}

/**
 * The connections given a request this turn, written together at its end (`core/end-of-turn.ts`): one
 * write from the middle of a turn's reads wakes the upstream again each time. A request alone waits
 * only for the rest of its own turn.
 */
const turnWrites: Connection[] = [];

function writeTurn(): void {
  // Indexed: a connection given a request while these are written is written in the same pass.
  for (let i = 0; i < turnWrites.length; i++) (turnWrites[i] as Connection).write();
  turnWrites.length = 0;
}
