import type { IncomingMessage } from 'node:http';
import type { CancelSignal } from '../../core/cancel.js';
import { GatewayError } from '../../core/errors.js';
import { tooLarge } from '../../http/body.js';
import type { AfterAnswer, HeaderMap, HttpRequest } from '../../http/exchange.js';

/**
 * A node:http request as the handler's exchange. Node already lower-cases header names; the body is
 * read on demand by a method (the handler calls it as `request.body(...)`), so no closure per request.
 */
export class NodeRequest implements HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: HeaderMap;
  private after: AfterAnswer | undefined = undefined;
  private over = false;
  /** A body refused as too large is left unread: the answer closes the connection instead of draining it. */
  bodyLeftUnread = false;

  constructor(
    private readonly req: IncomingMessage,
    readonly signal: CancelSignal,
  ) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.method = req.method ?? 'GET';
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? '' : url.slice(q + 1);
    // Only set-cookie is ever an array in Node's typings, and no client request carries it to us.
    this.headers = req.headers as HeaderMap;
  }

  /** Runs `task` once `answered()` is called: at once when it has been already. */
  afterAnswer(task: AfterAnswer): void {
    if (this.over) task.answered();
    else this.after = task;
  }

  /** The response has closed (written and ended, or the connection gone): runs what waited for it. */
  answered(): void {
    this.over = true;
    const task = this.after;
    this.after = undefined;
    task?.answered();
  }

  /**
   * Reads the body up to `limit` bytes; larger bodies are refused with 413 before being buffered, and
   * the rest is never read (a client could otherwise make us take in any number of bytes). The
   * body timeout is enforced by the server's `requestTimeout` (the same `body_timeout_ms`), which
   * answers 408 through clientError, so no timer per request here.
   */
  body(limit: number): Promise<Uint8Array> {
    const req = this.req;
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        this.bodyLeftUnread = true;
        reject(tooLarge(limit));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          this.bodyLeftUnread = true;
          reject(tooLarge(limit));
          req.removeAllListeners('data');
          req.pause();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
      req.on('error', (err) => reject(new GatewayError({ kind: 'cancelled', message: 'The client aborted the upload.', cause: err })));
    });
  }
}
