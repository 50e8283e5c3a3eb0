export { createAzureHandler, type AzureHandlerOptions, type AzureHttpFunction } from './handler.js';
export { lazyHandler } from '../../http/lazy.js';
export { registerAzureFunction } from './register.js';
