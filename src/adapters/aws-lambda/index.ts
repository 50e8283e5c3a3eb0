export { LAMBDA_DEADLINE_MARGIN_MS, createLambdaHandler, createStreamingLambdaHandler } from './handler.js';
export { lazyHandler } from '../../http/lazy.js';
export { SECRETS_ARN_VARIABLE, secretsManagerVariables } from './secret-variables.js';
export { createServerlessEntry, type ServerlessEntry, type ServerlessEntryOptions } from '../serverless-entry.js';
export type { BufferedLambdaHandler, LambdaAdapterOptions } from './handler.js';
export type { LambdaHttpEvent } from './request.js';
export type { LambdaResult } from './result.js';
