import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A simple-protocol COMMIT as pg sends it: 'Q', the length, the text and its NUL. */
const COMMIT = Buffer.from('COMMIT\0');
const isCommit = (chunk: Buffer): boolean => {
  const at = chunk.indexOf(COMMIT);
  return at >= 5 && chunk[at - 5] === 0x51;
};

/**
 * A TCP proxy before PostgreSQL that a spec can stop (the database is down: connections cut, new ones
 * refused) and start again on the same port, or have withhold the server's answer to the next COMMIT:
 * the transaction committed, and the client never hears so (its query times out, past
 * `ledger.query_timeout_ms`). Its connection then stays silent until the client closes it.
 */
export class PgProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private withhold: (() => void) | undefined;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      let committing: (() => void) | undefined;
      let silent = false;
      client.on('data', (chunk: Buffer) => {
        if (this.withhold && isCommit(chunk)) {
          committing = this.withhold;
          this.withhold = undefined;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (silent) return;
        if (committing === undefined) return void client.write(chunk);
        // The server's answer to COMMIT: it committed, and the client never reads so.
        silent = true;
        committing();
      });
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Resolves once the server answered the next COMMIT through the proxy, an answer the client never gets. */
  withholdNextCommit(): Promise<void> {
    return new Promise((resolve) => (this.withhold = resolve));
  }

  /** The database is "down": connections are cut and new ones refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The URL of `url`'s database through this proxy. */
  url(url: string): string {
    const through = new URL(url);
    through.host = `127.0.0.1:${this.port}`;
    return through.toString();
  }
}
