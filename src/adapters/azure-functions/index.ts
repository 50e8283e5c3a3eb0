export { createAzureHandler, type AzureHandlerOptions, type AzureHttpFunction } from './handler.js';
export { lazyHandler } from '../../http/lazy.js';
export { createServerlessEntry, type ServerlessEntry, type ServerlessEntryOptions } from '../serverless-entry.js';
export { registerAzureFunction } from './register.js';
