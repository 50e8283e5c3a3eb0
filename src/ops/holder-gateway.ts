import type { Gateway, ServedBy, StreamResult } from '../gateway/gateway.js';
import type { StreamPart } from '../core/types.js';
import { holdEnd, type EndHolding } from '../core/ready.js';
import type { App } from '../app.js';
import type { ServerOptions } from '../adapters/node/server.js';
import { GatewayError } from '../core/errors.js';
import type { RequestSpan } from '../http/route.js';
import type { AdminTarget } from './admin.js';
import type { AppHolder, Generation, Reloadable } from './reload.js';

/**
 * A Gateway that sends each request to the holder's current generation and keeps that generation
 * open until the request is done (a stream: until its parts are consumed or abandoned), so a front
 * built once around one Gateway gets reloads without knowing about them.
 */
export function holderGateway<T extends Reloadable>(holder: AppHolder<T>): Gateway {
  const current = (): Gateway => holder.current.gateway;
  return {
    get config() {
      return current().config;
    },
    async chat(request, options) {
      const g = holder.enter();
      try {
        return served(holder, g, await g.app.gateway.chat(request, options));
      } catch (err) {
        throw failed(holder, g, err);
      } finally {
        holder.leave(g);
      }
    },
    async stream(request, options) {
      const g = holder.enter();
      let result: StreamResult;
      try {
        result = served(holder, g, await g.app.gateway.stream(request, options));
      } catch (err) {
        holder.leave(g);
        throw failed(holder, g, err);
      }
      return { ...result, parts: new LeaveAfter(result.parts[Symbol.asyncIterator](), () => holder.leave(g)) };
    },
    async embed(request, options) {
      const g = holder.enter();
      try {
        return served(holder, g, await g.app.gateway.embed(request, options));
      } catch (err) {
        throw failed(holder, g, err);
      } finally {
        holder.leave(g);
      }
    },
    async countTokens(request, options) {
      const g = holder.enter();
      try {
        return await g.app.gateway.countTokens(request, options);
      } finally {
        holder.leave(g);
      }
    },
    models: () => current().models(),
    ready: () => current().ready(),
    status: () => current().status(),
    syncState: () => current().syncState(),
    load: () => current().load(),
    adoptOthersLoad: (others) => current().adoptOthersLoad(others),
    drain: (id, action) => current().drain(id, action),
    undrain: (id, action) => current().undrain(id, action),
    resetBreaker: (id, action) => current().resetBreaker(id, action),
    close: () => holder.close(),
  };
}

/** Notes the generation that served `result`, whose ledger booked it: the answer's cost is that app's price. */
function served<T extends Reloadable, R extends { servedBy: ServedBy }>(holder: AppHolder<T>, g: Generation<T>, result: R): R {
  holder.served(result.servedBy, g);
  return result;
}

/**
 * Notes the generation whose attempts a failure's `spent` counts (booked by its ledger, at its prices):
 * the error answer's cost is priced by that app, not one a reload swapped in meanwhile. Returns `err`.
 */
function failed<T extends Reloadable>(holder: AppHolder<T>, g: Generation<T>, err: unknown): unknown {
  if (GatewayError.isInstance(err) && err.spent) holder.served(err.spent, g);
  return err;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A stream's parts that leave the generation once the stream is over: ended, failed, thrown into or returned, even
 * returned before its first part (the client went away before the answer), which an async generator
 * would neither pass on to the parts (leaving the upstream open) nor run its `finally` for.
 * Hand-written: one promise per part and no generator to resume.
 */
export class LeaveAfter implements AsyncIterableIterator<StreamPart>, EndHolding {
  private left = false;
  /** The consumer confirms the end (`holdEnd`): the attempt settles at its `return()`, so the generation is left then. */
  private holding = false;
  private readonly onNext = (r: IteratorResult<StreamPart>): IteratorResult<StreamPart> => {
    if (r.done === true && !this.holding) this.leave();
    return r;
  };
  private readonly onError = (err: unknown): never => {
    this.leave();
    throw err;
  };

  constructor(
    private readonly parts: AsyncIterator<StreamPart>,
    private readonly onLeave: () => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    if (this.left) return Promise.resolve(DONE);
    return this.parts.next().then(this.onNext, this.onError);
  }

  holdEnd(): void {
    this.holding = true;
    holdEnd(this.parts);
  }

  /** A failure of the consumer's own (an encoder's) goes on to the parts, which settle the attempt as an error. */
  throw(err: unknown): Promise<IteratorResult<StreamPart>> {
    if (this.left || !this.parts.throw) {
      this.leave();
      return Promise.reject(err);
    }
    return this.parts.throw(err).then(this.onNext, this.onError);
  }

  async return(): Promise<IteratorResult<StreamPart>> {
    if (this.left) return DONE;
    try {
      await this.parts.return?.();
    } finally {
      this.leave();
    }
    return DONE;
  }

  private leave(): void {
    if (this.left) return;
    this.left = true;
    this.onLeave();
  }
}

/**
 * The handler options of whichever app is current, so a reload's new keys, ledger, metrics, routes and
 * Responses store serve the next request. The route table is built once: a route only the new config
 * has (e.g. GET /metrics turned on) needs a restart; one it no longer has answers 404.
 */
export function holderServerOptions(holder: AppHolder<App>): ServerOptions {
  const first = holder.current.serverOptions;
  const now = (): App['serverOptions'] => holder.current.serverOptions;
  const routes = (first.routes ?? []).map((r) => ({
    ...r,
    handle(ctx: Parameters<typeof r.handle>[0]) {
      const route = now().routes?.find((x) => x.method === r.method && x.path === r.path);
      // Named by its template: a path's `{id}` is whatever the client typed, a pasted key among it.
      if (!route) throw new GatewayError({ kind: 'not_found', code: 'unknown_route', message: `Unknown route ${ctx.routePath}.` });
      return route.handle(ctx);
    },
  }));
  return {
    ...first,
    routes,
    // Priced by the app that served the answer (`answer`), which its ledger rows were: a reload since may have changed prices.
    costOf: (key, usage, answer) => holder.servedBy(answer).serverOptions.costOf?.(key, usage) ?? { usd: undefined, priced: false },
    conversations: () => now().conversations(),
    authenticate: (headers) => now().authenticate(headers),
    startSpan: (start) => now().startSpan?.(start) ?? NO_SPAN,
    onError: (error, ctx) => now().onError?.(error, ctx),
    browserGuard: (request) => now().browserGuard?.(request),
  };
}

const NO_SPAN: RequestSpan = { end: () => undefined };

/**
 * What the admin routes of a reloadable process act on (`holder` is read late: the apps it holds are
 * built with this target): the current app's gateway, its reload, and the current app's audit log, so a
 * reload's own audit row lands in the new app's database rather than the retired one's, closed by then.
 */
export function holderAdmin(holder: () => AppHolder<App>): AdminTarget {
  return {
    gateway: () => holder().current.gateway,
    reload: () => holder().reload(),
    audit: () => holder().current.governance.audit,
  };
}

