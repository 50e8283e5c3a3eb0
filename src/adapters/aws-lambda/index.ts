export { createLambdaHandler, createStreamingLambdaHandler, lazyHandler } from './handler.js';
export type { BufferedLambdaHandler, LambdaAdapterOptions } from './handler.js';
export type { LambdaHttpEvent } from './request.js';
export type { LambdaResult } from './result.js';
