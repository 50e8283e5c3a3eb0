import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultInjector, faultRuleRefusal, parseFaultRule, type Fault } from './faults.js';

export interface SimStats {
  /** Requests served, by `METHOD path-pattern` as the simulator names them. */
  requests: Record<string, number>;
  total: number;
}

export interface SimRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: Buffer;
}

/** A simulator route handler; returns false when the route is not its own (`notFound` answers it). */
export type SimHandler = (sim: SimRequest, tools: SimTools) => Promise<boolean>;

export interface SimTools {
  faults: FaultInjector;
  /** Counts a request under a stable name for tests. */
  count(name: string): void;
}

/** The last request the simulator served (control API calls excluded), for tests of what adapters send. */
export interface SimRecordedRequest {
  method: string;
  path: string;
  /** Lower-case names, as Node gives them (so tests can see what a client sent, e.g. `traceparent`). */
  headers: NodeJS.Dict<string | string[]>;
  body: Buffer;
}

export interface SimServer {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly faults: FaultInjector;
  readonly stats: SimStats;
  /** The last API request received, as sent on the wire; undefined before the first. */
  readonly lastRequest: SimRecordedRequest | undefined;
  close(): Promise<void>;
}

export interface StartSimOptions {
  name: string;
  handler: SimHandler;
  port?: number;
  host?: string;
  seed?: number;
  /**
   * Answers a request no route of the handler took, as the real API answers a path it does not serve;
   * without it, a plain 404 naming the route (a service with no one answer to copy).
   */
  notFound?: (sim: SimRequest) => void;
  /** Use your own server (e.g. one that also speaks h2c); it must call the returned listener. */
  createServer?: (listener: (req: IncomingMessage, res: ServerResponse) => void) => Server;
  /**
   * Also serve h2c (HTTP/2 with prior knowledge, what the AWS SDK's default handler speaks to an
   * http:// endpoint) on the same port, told apart from HTTP/1.1 by the connection preface.
   */
  h2c?: boolean;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Starts a simulator on 127.0.0.1 (random port by default). Every simulator also serves a control API:
 * `POST /__sim/faults` adds a fault rule, `DELETE /__sim/faults` clears them, `GET /__sim/stats`.
 */
export async function startSim(options: StartSimOptions): Promise<SimServer> {
  const faults = new FaultInjector({ seed: options.seed ?? 1 });
  const stats: SimStats = { requests: {}, total: 0 };
  let lastRequest: SimRecordedRequest | undefined;
  const tools: SimTools = {
    faults,
    count(name) {
      stats.requests[name] = (stats.requests[name] ?? 0) + 1;
      stats.total += 1;
    },
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://sim.local');
      const body = await readBody(req);
      if (url.pathname === '/__sim/faults') {
        if (req.method === 'DELETE') {
          faults.clear();
          return sendJson(res, 200, { ok: true });
        }
        // Only POST adds a rule: a GET (a browser, a curious curl) must not add one matching every request.
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST, DELETE');
          return sendJson(res, 405, { error: { message: `${req.method ?? 'GET'} /__sim/faults: POST adds a fault rule, DELETE clears them` } });
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8') || '{}');
        } catch (err) {
          // The caller's mistake, in the same shape as a rule the schema refuses: not a simulator crash.
          return sendJson(res, 400, { error: { message: `the body is not JSON: ${(err as Error).message}` } });
        }
        const rule = parseFaultRule(parsed);
        if (!rule.ok) return sendJson(res, 400, { error: { message: faultRuleRefusal(rule.problems), problems: rule.problems } });
        faults.add(rule.rule);
        return sendJson(res, 200, { ok: true });
      }
      if (url.pathname === '/__sim/stats') return sendJson(res, 200, stats);
      lastRequest = { method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body };
      const sim: SimRequest = { req, res, url, body };
      const handled = await options.handler(sim, tools);
      if (handled || res.headersSent) return;
      if (options.notFound) options.notFound(sim);
      else sendJson(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `simulator crashed: ${(err as Error).message}` } });
      else res.destroy();
    });
  };
  const server = options.createServer ? options.createServer(listener) : createServer(listener);
  server.keepAliveTimeout = 60_000;
  const front = options.h2c ? h2cFront(server, listener) : { server, closeAll: () => server.closeAllConnections?.() };
  await new Promise<void>((resolve, reject) => {
    front.server.once('error', reject);
    front.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (front.server.address() as AddressInfo).port;
  return {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    port,
    faults,
    stats,
    get lastRequest() {
      return lastRequest;
    },
    close: () =>
      new Promise<void>((resolve) => {
        front.closeAll();
        front.server.close(() => resolve());
      }),
  };
}

/**
 * A TCP front that hands each connection to the HTTP/1.1 server or to an h2c server by its first
 * bytes (an HTTP/2 client opens with `PRI * HTTP/2.0`). Both servers share one request listener.
 */
function h2cFront(http1: Server, listener: (req: IncomingMessage, res: ServerResponse) => void): { server: NetServer; closeAll: () => void } {
  // The compat request/response of node:http2 offer what simulator handlers use of node:http's.
  const h2 = createH2Server({}, listener as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  h2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      if (chunk.subarray(0, 4).toString('latin1') === 'PRI ') h2.emit('connection', socket);
      else {
        http1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  return {
    server,
    closeAll() {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
    },
  };
}

/** Applies the pre-answer part of a fault: latency, then a reset. Returns false if the socket is gone. */
export async function applyPreFault(fault: Fault, res: ServerResponse): Promise<boolean> {
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.reset) {
    res.socket?.destroy();
    return false;
  }
  return true;
}

/**
 * Streams content chunks with the fault's timing: time-to-first-token, inter-chunk delay, then a
 * stall, a cut or an in-stream error after N chunks. `write` sends one chunk; `fail` sends the
 * wire's own in-stream error. Returns true when every chunk was sent and the caller should end cleanly.
 */
export async function streamWithFaults<T>(
  chunks: readonly T[],
  fault: Fault,
  res: ServerResponse,
  write: (chunk: T, index: number) => void,
  fail?: () => void,
): Promise<boolean> {
  if (fault.ttft_ms) await sleep(fault.ttft_ms);
  for (let i = 0; i < chunks.length; i++) {
    if (res.destroyed) return false;
    if (fault.stall_after_chunks === i) {
      await new Promise<void>((resolve) => res.once('close', () => resolve()));
      return false;
    }
    if (fault.cut_after_chunks === i) {
      await cutConnection(res);
      return false;
    }
    if (fault.stream_error_after_chunks === i && fail) {
      fail();
      return false;
    }
    if (i > 0 && fault.inter_chunk_ms) await sleep(fault.inter_chunk_ms);
    write(chunks[i] as T, i);
  }
  if (fault.stream_error_after_chunks !== undefined && fault.stream_error_after_chunks >= chunks.length && fail) {
    fail();
    return false;
  }
  if (fault.cut_after_chunks !== undefined && fault.cut_after_chunks >= chunks.length) {
    await cutConnection(res);
    return false;
  }
  return true;
}

/**
 * Drops the connection mid-body once what was written has left the process, so the client really
 * receives the first chunks and then a broken stream (not a reset that discards them).
 */
async function cutConnection(res: ServerResponse): Promise<void> {
  const socket = res.socket;
  if (!socket) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (socket.writableLength > 0) await new Promise<void>((resolve) => socket.once('drain', () => resolve()));
  socket.destroy();
}

export { sendJson, readBody };
