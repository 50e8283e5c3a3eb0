import type { HttpHandler } from './exchange.js';

/**
 * A handler created on first use (the config is loaded and the gateway built by the first
 * invocation, not at import) and kept for the instance's life. A failed creation is not kept, so the
 * next request tries again.
 */
export function lazyHandler(create: () => Promise<HttpHandler>): HttpHandler {
  let pending: Promise<HttpHandler> | undefined;
  return async (request) => {
    pending ??= create().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return (await pending)(request);
  };
}
