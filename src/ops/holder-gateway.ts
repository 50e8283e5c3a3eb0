import type { Gateway, StreamResult } from '../gateway/gateway.js';
import type { StreamPart } from '../core/types.js';
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
        return await g.app.gateway.chat(request, options);
      } finally {
        holder.leave(g);
      }
    },
    async stream(request, options) {
      const g = holder.enter();
      let result: StreamResult;
      try {
        result = await g.app.gateway.stream(request, options);
      } catch (err) {
        holder.leave(g);
        throw err;
      }
      return { servedBy: result.servedBy, parts: leaveAfter(result.parts, holder, g) };
    },
    async embed(request, options) {
      const g = holder.enter();
      try {
        return await g.app.gateway.embed(request, options);
      } finally {
        holder.leave(g);
      }
    },
    models: () => current().models(),
    ready: () => current().ready(),
    status: () => current().status(),
    syncState: () => current().syncState(),
    drain: (id, action) => current().drain(id, action),
    undrain: (id, action) => current().undrain(id, action),
    resetBreaker: (id, action) => current().resetBreaker(id, action),
    close: () => holder.close(),
  };
}

async function* leaveAfter<T extends Reloadable>(parts: AsyncIterable<StreamPart>, holder: AppHolder<T>, g: Generation<T>): AsyncIterable<StreamPart> {
  try {
    yield* parts;
  } finally {
    holder.leave(g);
  }
}
