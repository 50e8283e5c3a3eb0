/** The in-process library API. */
export { createGateway } from './gateway/gateway.js';
export type { Gateway, GatewayOptions, RequestOptions, ChatResult, StreamResult, EmbedResult, ServedBy } from './gateway/gateway.js';
export { loadConfigFile, parseConfig, parseConfigText, resolveConfig, ConfigError } from './config/load.js';
export type { ConfigInput, GatewayConfig, DeploymentConfig } from './config/schema.js';
export { startServer, createHttpServer } from './server/server.js';
export type { RunningServer, ServerOptions } from './server/server.js';
export { GatewayError, ERROR_KINDS, toGatewayError } from './core/errors.js';
export type { ErrorKind, GatewayErrorInit } from './core/errors.js';
export type * from './core/types.js';
export type { Provider, CallContext } from './core/provider.js';
export type { AttemptRecord, AttemptObserver } from './core/events.js';
export { PROVIDERS } from './providers/registry.js';
