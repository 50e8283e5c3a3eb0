export { createAzureHandler, type AzureHandlerOptions, type AzureHttpFunction } from './handler.js';
export { lazyHandler } from './lazy.js';
export { registerAzureFunction } from './register.js';
