import { app, type HttpMethod } from '@azure/functions';
import type { HttpHandler } from '../../http/exchange.js';
import { createAzureHandler, type AzureHandlerOptions } from './handler.js';

/** Every method reaches the handler, which answers 404/405 in the API's own error shape. */
const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/**
 * Registers `handler` as the HTTP function `name` on every path (`{*path}`, anonymous: the gateway
 * checks its own API keys) and turns on HTTP streaming, which server-sent events need. Call it from
 * the module package.json's `main` loads, before the host finishes starting.
 */
export function registerAzureFunction(name: string, handler: HttpHandler, options: AzureHandlerOptions = {}): void {
  app.setup({ enableHttpStream: true });
  app.http(name, { methods: METHODS, authLevel: 'anonymous', route: '{*path}', handler: createAzureHandler(handler, options) });
}
