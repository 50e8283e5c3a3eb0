import type { Socket } from 'node:net';
import { TcpProxy } from '../../../ledger/testing/tcp-proxy.js';

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
export class PgProxy extends TcpProxy {
  private withhold: (() => void) | undefined;

  protected override relay(client: Socket, upstream: Socket): void {
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
  }

  /** Resolves once the server answered the next COMMIT through the proxy, an answer the client never gets. */
  withholdNextCommit(): Promise<void> {
    return new Promise((resolve) => (this.withhold = resolve));
  }

  /** The URL of `url`'s database through this proxy. */
  url(url: string): string {
    const through = new URL(url);
    through.host = `127.0.0.1:${this.port}`;
    return through.toString();
  }
}
