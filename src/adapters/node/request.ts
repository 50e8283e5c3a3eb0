import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { CancelSignal } from '../../core/cancel.js';
import { GatewayError } from '../../core/errors.js';
import { tooLarge } from '../../http/body.js';
import type { AfterAnswer, HeaderMap, HttpRequest } from '../../http/exchange.js';
import { originForm } from '../request-target.js';

/** How much of a body over the limit is read and dropped so that its client can read the 413. */
const DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Connections whose last request that needed a key had it accepted (a refused key takes its connection
 * out); a WeakSet, so an entry goes with its socket.
 */
const KEYED = new WeakSet<Socket>();

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
  private bodyAsked = false;

  constructor(
    private readonly req: IncomingMessage,
    readonly signal: CancelSignal,
  ) {
    const url = originForm(req.url ?? '/');
    const q = url.indexOf('?');
    this.method = req.method ?? 'GET';
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? '' : url.slice(q + 1);
    // Only set-cookie is ever an array in Node's typings, and no client request carries it to us.
    this.headers = req.headers as HeaderMap;
  }

  /**
   * `https` when the connection is TLS (a node:https server), `http` otherwise. A client's
   * x-forwarded-proto is not read: no setting says which proxies in front of us to trust.
   */
  get scheme(): 'http' | 'https' {
    return (this.req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  }

  /** The version of the connection's HTTP (`1.1`, `1.0`), as node:http parsed it from the request line. */
  get httpVersion(): string {
    return this.req.httpVersion;
  }

  /** Runs `task` once `answered()` is called: at once when it has been already. */
  afterAnswer(task: AfterAnswer): void {
    if (this.over) task.answered();
    else this.after = task;
  }

  /**
   * The request's key was accepted: its connection may stay open for the caller's next requests; or
   * refused (revoked, unknown, a scrape key off its route): it keeps no idle window, whatever it carried.
   */
  authenticated(accepted: boolean): void {
    if (accepted) KEYED.add(this.req.socket);
    else KEYED.delete(this.req.socket);
  }

  /** Whether this connection's last request that needed a key, this one or an earlier one, had it accepted. */
  get keyed(): boolean {
    return KEYED.has(this.req.socket);
  }

  /** The response has closed (written and ended, or the connection gone): runs what waited for it. */
  answered(): void {
    this.over = true;
    const task = this.after;
    this.after = undefined;
    task?.answered();
  }

  /**
   * Whether the answer must close the connection rather than let node:http read and drop the rest of the
   * body: one refused as too large, or one no route asked for (a 401, 404 or 405 answers before the body)
   * whose declared length is past what a 413 would drain. Without it, anyone who can reach the port could
   * make the gateway take in gigabytes per request without a key.
   */
  closesAfterAnswer(limit: number): boolean {
    if (this.bodyLeftUnread) return true;
    if (this.bodyAsked) return false;
    const declared = Number(this.req.headers['content-length']);
    return Number.isFinite(declared) && declared > limit + DRAIN_BYTES;
  }

  /**
   * Reads and drops a chunked body no route asked for, as node:http would after the answer, but counting
   * it: the connection is destroyed once it passes what a 413 would drain. Its length is not known when the
   * answer is written, so the answer cannot say `connection: close` up front as it does for a declared
   * one; without the count a chunked body that never ends would be read until `body_timeout_ms`, at
   * whatever rate its client sends, by anyone who can reach the port (a 401, 404 or 405 needs no key).
   * Reading it rather than closing at once keeps a small body's connection alive and lets its client,
   * still sending, read the answer rather than a reset.
   */
  countUnreadBody(limit: number): void {
    const req = this.req;
    if (this.bodyAsked || req.complete || req.headers['transfer-encoding'] === undefined) return;
    const cap = limit + DRAIN_BYTES;
    let size = 0;
    // A listener of our own makes node:http leave the body to us (it drops it only when nobody reads).
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) req.socket.destroy();
    });
  }

  /**
   * Reads the body up to `limit` bytes; larger bodies are refused with 413 and never buffered. The
   * rest of a refused body is read and dropped up to `DRAIN_BYTES` before the answer, so the client,
   * still sending, reads the 413 rather than a reset connection (a close with its bytes unread resets
   * it); past that, or when the declared length is past it, the rest is left unread and the answer
   * closes the connection (a client could otherwise make us take in any number of bytes). The body
   * timeout is enforced by the server's `requestTimeout` (the same `body_timeout_ms`), which answers
   * 408 through clientError, so no timer per request here.
   */
  body(limit: number): Promise<Uint8Array> {
    this.bodyAsked = true;
    const req = this.req;
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit + DRAIN_BYTES) {
        this.bodyLeftUnread = true;
        reject(tooLarge(limit));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
        else if (size <= limit + DRAIN_BYTES) chunks.length = 0;
        else {
          this.bodyLeftUnread = true;
          req.off('data', onData);
          req.off('end', onEnd);
          req.pause();
          reject(tooLarge(limit));
        }
      };
      const onEnd = (): void => {
        if (size > limit) reject(tooLarge(limit));
        else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      };
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', (err) => reject(new GatewayError({ kind: 'cancelled', message: 'The client aborted the upload.', cause: err })));
    });
  }
}
