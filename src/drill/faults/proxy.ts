import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Effect } from '../scenario.js';

/**
 * A small TCP fault proxy the drill places in front of a deployment that is not a simulator: it
 * passes bytes through, or delays, resets, blackholes, answers with an HTTP status, or cuts the
 * answer after its first server-sent events. HTTP status injection needs the gateway to speak plain HTTP to it.
 */
export class FaultProxy {
  private effect: Effect | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly passing = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly upstream: { host: string; port: number },
    readonly url: string,
  ) {}

  /** Starts a proxy on 127.0.0.1 (a random port) forwarding to `upstream` (host and port). */
  static async start(upstream: { host: string; port: number }, protocol = 'http:'): Promise<FaultProxy> {
    const accept: { to?: FaultProxy } = {};
    const server = createServer((socket) => accept.to?.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    accept.to = new FaultProxy(server, upstream, `${protocol}//127.0.0.1:${(server.address() as AddressInfo).port}`);
    return accept.to;
  }

  /**
   * Applies an effect to new connections (undefined: pass through). With `breakOpen` (a fault
   * starting), open connections are broken, as an outage breaks them.
   */
  set(effect: Effect | undefined, breakOpen = effect !== undefined): void {
    this.effect = effect;
    if (breakOpen) for (const s of this.passing) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const e = this.effect;
    if (e?.refuse) return void socket.resetAndDestroy();
    if (e?.blackhole) return void socket.resume();
    if (e?.status !== undefined) return this.answerStatus(socket, e.status, e.retry_after_s);
    socket.pause();
    setTimeout(() => this.pipe(socket, e), e?.latency_ms ?? 0);
  }

  private answerStatus(socket: Socket, status: number, retryAfterS: number | undefined): void {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const body = JSON.stringify({ error: { message: `Fault proxy: injected ${status}`, type: status === 429 ? 'rate_limit_error' : 'server_error', code: null } });
      const retry = retryAfterS === undefined ? '' : `retry-after: ${retryAfterS}\r\n`;
      socket.end(`HTTP/1.1 ${status} Injected\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${retry}connection: close\r\n\r\n${body}`);
    });
  }

  private pipe(socket: Socket, e: Effect | undefined): void {
    if (socket.destroyed) return;
    const upstream = connect(this.upstream.port, this.upstream.host);
    this.passing.add(socket);
    const done = (): void => {
      this.passing.delete(socket);
      socket.destroy();
      upstream.destroy();
    };
    upstream.once('error', done).once('close', done);
    socket.once('close', done);
    const cut = e?.cut_after_chunks === undefined ? undefined : { n: e.cut_after_chunks, state: { inBody: false, events: 0, carry: '' } };
    let firstByte = true;
    upstream.on('data', (chunk: Buffer) => {
      if (e?.ttft_ms && firstByte) {
        firstByte = false;
        upstream.pause();
        setTimeout(() => {
          socket.write(chunk);
          upstream.resume();
        }, e.ttft_ms);
        return;
      }
      const at = cut ? sseCutOffset(cut.state, chunk, cut.n) : undefined;
      if (at === undefined) return void socket.write(chunk);
      // A clean close without the final chunk: the client sees the body end early, as on a cut line.
      upstream.destroy();
      socket.end(chunk.subarray(0, at));
    });
    socket.on('data', (chunk: Buffer) => upstream.write(chunk));
    socket.resume();
  }
}

/** Where the proxy is in an answer it is going to cut: past the headers yet, events seen, a boundary's start. */
export interface CutState {
  inBody: boolean;
  events: number;
  carry: string;
}

/**
 * The offset in `chunk` just after the body's `n`-th server-sent event (events end with a blank
 * line), or undefined when that point is not in this chunk. Bytes map 1:1 through latin1.
 */
export function sseCutOffset(state: CutState, chunk: Buffer, n: number): number | undefined {
  const base = state.carry.length;
  const text = state.carry + chunk.toString('latin1');
  let i = 0;
  if (!state.inBody) {
    const head = text.indexOf('\r\n\r\n');
    if (head === -1) {
      state.carry = text.slice(-3);
      return undefined;
    }
    state.inBody = true;
    i = head + 4;
    if (n === 0) return Math.max(0, i - base);
  }
  for (let j = text.indexOf('\n\n', i); j !== -1; j = text.indexOf('\n\n', i)) {
    i = j + 2;
    state.events += 1;
    if (state.events >= n) return Math.max(0, i - base);
  }
  state.carry = i === text.length ? '' : text.slice(-1);
  return undefined;
}
