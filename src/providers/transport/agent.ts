import { createRequire } from 'node:module';
import { connect as connectTcp, isIP } from 'node:net';
import type * as Tls from 'node:tls';
import { Connection, Exchange, TransportError, type ConnectionOwner, type ExchangeHandler } from './connection.js';
import { requestHead, type OutgoingRequest } from './request-head.js';

export type { ExchangeHandler } from './connection.js';
export type { OutgoingRequest } from './request-head.js';

let tls: typeof Tls | undefined;
/**
 * node:tls on the first https connection: loading it (its crypto and secure-context modules) measured
 * ~10 ms of a cold start, which a gateway whose upstreams are all http (vLLM, Ollama, a sidecar) never needs.
 */
const loadTls = (): typeof Tls => (tls ??= createRequire(import.meta.url)('node:tls') as typeof Tls);

export interface AgentOptions {
  /** Connections per upstream origin at most; requests beyond wait in order. */
  connections: number;
  /** How long an idle keep-alive connection is kept (an upstream's Keep-Alive hint may shorten it). */
  keepAliveTimeoutMs: number;
  /** Time allowed to open a connection (TCP and TLS). */
  connectTimeoutMs: number;
  /** The CAs trusted for TLS upstreams in place of Node's (tests); unset, Node's defaults and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
}

/**
 * The upstream HTTP/1.1 client: a keep-alive pool per origin. Hand-written in place of undici for
 * the gateway's one pattern (a request body known in full, one exchange per connection at a time):
 * 0.72-0.77x the CPU of undici's dispatcher per buffered call and ~0.9x per stream, side by side in
 * `bench/transport.mjs`; and no undici to load at the first pool (~35 ms of a cold start). Only
 * config-chosen URLs reach it.
 */
export class Agent {
  private readonly pools = new Map<string, OriginPool>();
  private closing = false;

  constructor(private readonly options: AgentOptions) {}

  /** Sends one request; the handler hears of it as `ExchangeHandler` says. */
  dispatch(request: OutgoingRequest, handler: ExchangeHandler): void {
    const url = request.url;
    let pool = this.pools.get(url.origin);
    if (pool === undefined) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        handler.onConnect(() => undefined);
        handler.onError(new TypeError(`Not an http(s) URL: ${url.protocol}`), true);
        return;
      }
      pool = new OriginPool(url, this.options);
      this.pools.set(url.origin, pool);
    }
    if (this.closing) pool.closing = true;
    pool.dispatch(request, handler);
  }

  /** Idle connections close now, busy ones after their exchange; resolves when all are gone. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}

/** The connections to one origin, the exchanges waiting for one, and the idle ones (newest last). */
class OriginPool implements ConnectionOwner {
  closing = false;
  private readonly connections = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly queue: Exchange[] = [];
  /** Answered connections waiting out a poll phase before they carry another request. */
  private readonly cooling = new Set<Connection>();
  /** Those answered in the current turn of the event loop. */
  private answered: Connection[] = [];
  private connecting = 0;
  private tlsSession: Buffer | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;
  private closedAll: Promise<void> | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;

  constructor(
    url: URL,
    private readonly options: AgentOptions,
  ) {
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === '' ? (this.secure ? 443 : 80) : Number(url.port);
  }

  dispatch(request: OutgoingRequest, handler: ExchangeHandler): void {
    const exchange = new Exchange(request, handler, this);
    handler.onConnect(exchange.abort);
    if (exchange.settled) return;
    if (this.closing) return exchange.fail(new TransportError('The upstream pool is closed.', 'POOL_CLOSED'));
    try {
      const body = request.body;
      exchange.head = requestHead(request, body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    } catch (err) {
      return exchange.fail(err as Error);
    }
    const connection = this.takeIdle();
    if (connection !== undefined) return connection.send(exchange);
    this.queue.push(exchange);
    this.openForQueue();
  }

  abort(exchange: Exchange, reason: Error): void {
    if (exchange.settled) return;
    const connection = exchange.connection;
    if (connection !== undefined && connection.exchange === exchange) return connection.destroy(reason);
    const at = this.queue.indexOf(exchange);
    if (at !== -1) this.queue.splice(at, 1);
    exchange.fail(reason);
  }

  /**
   * Not reused in the turn its answer completed, nor in the check phase right after, but once the
   * loop has polled the sockets again: an upstream that closes right after answering (its FIN, or
   * stray bytes, read by then) is dropped before it carries another request. undici waits one check
   * phase (GHSA-35p6-xmwp-9g52), which a close sent a moment after the answer still beats. Meanwhile
   * a waiting exchange counts on the connection rather than opening another.
   */
  released(connection: Connection): void {
    this.cooling.add(connection);
    this.answered.push(connection);
    if (this.answered.length === 1) setImmediate(this.waitForPoll);
  }

  /** In the check phase: the turn's answered connections go back after the next poll (an immediate set here runs after it). */
  private readonly waitForPoll = (): void => {
    const batch = this.answered;
    this.answered = [];
    setImmediate(() => this.reuse(batch));
  };

  private reuse(batch: Connection[]): void {
    for (const connection of batch) if (this.cooling.delete(connection) && connection.reusable) this.ready(connection, true);
    this.openForQueue();
  }

  /** `atEndOfTurn`: called from the check phase, where a waiting request is written at once. */
  ready(connection: Connection, atEndOfTurn = false): void {
    const next = this.queue.shift();
    if (next !== undefined) return connection.send(next, atEndOfTurn);
    if (this.closing) return connection.destroy();
    connection.idleSince = Date.now();
    connection.socket.unref();
    this.idle.push(connection);
    this.sweep ??= setTimeout(() => this.sweepIdle(), connection.keepAliveMs).unref();
  }

  closed(connection: Connection, err: Error | undefined): void {
    if (!connection.connected) {
      this.connecting -= 1;
      // A connection that never opened fails the oldest waiting exchange, not all of them: each
      // exchange gets its own attempt, so one refused connect does not empty the queue.
      this.queue.shift()?.fail(err ?? new TransportError('The upstream closed the connection.', 'SOCKET_CLOSED'));
    }
    this.connections.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
    this.cooling.delete(connection);
    this.openForQueue();
    if (this.connections.size === 0 && this.queue.length === 0) this.drained?.();
  }

  close(): Promise<void> {
    if (this.closedAll !== undefined) return this.closedAll;
    this.closing = true;
    for (const connection of this.idle.splice(0)) connection.destroy();
    this.closedAll = this.connections.size === 0 && this.queue.length === 0 ? Promise.resolve() : new Promise((resolve) => (this.drained = resolve));
    return this.closedAll;
  }

  /** Opens a connection when more exchanges wait than connections opening or about to be free. */
  private openForQueue(): void {
    if (this.queue.length > this.connecting + this.cooling.size && this.connections.size < this.options.connections) this.open();
  }

  private takeIdle(): Connection | undefined {
    if (this.idle.length === 0) return undefined;
    const now = Date.now();
    for (let connection = this.idle.pop(); connection !== undefined; connection = this.idle.pop()) {
      // A socket the upstream closed or reset is destroyed at once, but leaves `idle` only on 'close', a turn later.
      if (now - connection.idleSince < connection.keepAliveMs && connection.reusable) return connection;
      connection.destroy();
    }
    return undefined;
  }

  private open(): void {
    this.connecting += 1;
    const socket = this.secure
      ? loadTls().connect({
          host: this.host,
          port: this.port,
          servername: isIP(this.host) === 0 ? this.host : undefined,
          ALPNProtocols: ['http/1.1'],
          session: this.tlsSession,
          ca: this.options.ca,
        })
      : connectTcp({ host: this.host, port: this.port });
    if (this.secure) {
      socket.on('session', (session: Buffer) => (this.tlsSession = session));
      // As Node's https.Agent does: a session whose connection failed is not offered again.
      socket.once('error', () => (this.tlsSession = undefined));
    }
    const connection = new Connection(socket, this, this.options.keepAliveTimeoutMs, this.options.connectTimeoutMs, this.secure);
    this.connections.add(connection);
    socket.once(this.secure ? 'secureConnect' : 'connect', () => (this.connecting -= 1));
  }

  /** Closes idle connections past their keep-alive; runs only while some are idle. */
  private sweepIdle(): void {
    this.sweep = undefined;
    const now = Date.now();
    let next = Infinity;
    for (const connection of [...this.idle]) {
      const left = connection.idleSince + connection.keepAliveMs - now;
      if (left <= 0) connection.destroy();
      else next = Math.min(next, left);
    }
    if (next !== Infinity) this.sweep = setTimeout(() => this.sweepIdle(), next).unref();
  }
}
