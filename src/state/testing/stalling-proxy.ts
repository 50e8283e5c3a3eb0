import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** One proxied connection: bytes a stall holds back, per direction, in the order they came. */
interface Pair {
  client: Socket;
  upstream: Socket;
  toUpstream: Buffer[];
  toClient: Buffer[];
}

/**
 * A TCP proxy in front of a real server that a spec can stall: connections stay open and new ones are
 * accepted, but nothing passes either way and nothing errors, as with a network partition, a
 * blackholed failover address or Redis's `CLIENT PAUSE`. What either side sends meanwhile is held and
 * passed on when the proxy passes again, unless a side hangs up first: then its connection's held
 * bytes are dropped, as a server that never received them would.
 */
export class StallingProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  /** What is held: every byte, or only the server's (its replies: commands still reach it and run). */
  private stalled: 'no' | 'both' | 'replies' = 'no';
  port = 0;
  /** Connections a side hung up, the bytes held for them dropped. */
  hungUp = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => this.pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /**
   * Stops passing bytes, keeping every connection open. `replies`: only the server's are held, so the
   * commands sent meanwhile still run, as when Redis applied a command whose answer never came back.
   */
  stall(what: 'both' | 'replies' = 'both'): void {
    this.stalled = what;
  }

  /** Passes bytes again, the held ones first. */
  pass(): void {
    this.stalled = 'no';
    for (const p of this.pairs) {
      for (const b of p.toUpstream.splice(0)) p.upstream.write(b);
      for (const b of p.toClient.splice(0)) p.client.write(b);
    }
  }

  async close(): Promise<void> {
    const pairs = [...this.pairs];
    this.pairs.clear();
    for (const p of pairs) drop(p);
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pair: Pair = { client, upstream, toUpstream: [], toClient: [] };
    this.pairs.add(pair);
    const relay = (to: Socket, held: Buffer[], replies: boolean) => (chunk: Buffer) => {
      if (this.stalled === 'both' || (replies && this.stalled === 'replies')) held.push(chunk);
      else to.write(chunk);
    };
    client.on('data', relay(upstream, pair.toUpstream, false));
    upstream.on('data', relay(client, pair.toClient, true));
    const end = (): void => {
      if (!this.pairs.delete(pair)) return;
      this.hungUp += 1;
      drop(pair);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('end', end);
      s.on('close', end);
    }
  }
}

function drop(p: Pair): void {
  p.toUpstream.length = 0;
  p.toClient.length = 0;
  p.client.destroy();
  p.upstream.destroy();
}
