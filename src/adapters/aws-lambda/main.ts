// The SAM template's handler (`dist/bundle/aws-lambda-main.handler`, this module bundled): a Function URL in RESPONSE_STREAM
// mode, the gateway built on the first invocation from the config file SWITCHYARD_CONFIG names.
import { createServerlessEntry } from '../serverless-entry.js';
import { createStreamingLambdaHandler } from './handler.js';

const entry = createServerlessEntry();

export const handler = createStreamingLambdaHandler(entry.handler, { onSettled: entry.onSettled });
