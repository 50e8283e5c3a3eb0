// The SAM template's handler (`dist/bundle/aws-lambda-main.handler`, this module bundled): a Function URL in RESPONSE_STREAM
// mode, the gateway built on the first invocation from the config file SWITCHYARD_CONFIG names, its `${VAR}`s
// filled from the Secrets Manager secret SWITCHYARD_SECRETS_ARN names (kept out of the function's environment).
import { millisFromEnv } from '../env-millis.js';
import { createServerlessEntry } from '../serverless-entry.js';
import { LAMBDA_DEADLINE_MARGIN_MS, createStreamingLambdaHandler } from './handler.js';
import { secretsManagerVariables } from './secret-variables.js';

// The function's own Timeout, as the invocation that builds the gateway has it: streams end before it.
// A Timeout is whole seconds; rounding up drops the few ms the invocation spent before its handler ran.
let remainingMs: number | undefined;
const entry = createServerlessEntry({ secretVariables: secretsManagerVariables, invocationMs: () => remainingMs });

export const handler = createStreamingLambdaHandler(entry.handler, {
  onSettled: entry.onSettled,
  basePath: entry.basePath,
  onInvocation: (ms) => (remainingMs = Math.ceil(ms / 1_000) * 1_000),
  deadlineMarginMs: millisFromEnv(process.env, 'SWITCHYARD_DEADLINE_MARGIN_MS', LAMBDA_DEADLINE_MARGIN_MS),
});
