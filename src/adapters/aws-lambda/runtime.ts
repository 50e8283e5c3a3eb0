// The `awslambda` global's types (the runtime's own, as @types/aws-lambda declares them).
/// <reference types="aws-lambda" />

/** The writable the Node.js runtime hands a streaming handler (a Node stream plus `setContentType`). */
export type ResponseStream = awslambda.HttpResponseStream;

/** The `awslambda` global the Node.js runtime installs before it loads the handler's module. */
export type AwsLambdaGlobal = typeof awslambda;

/**
 * The one place that reads the runtime's global (there is no npm package for it; the types come from
 * @types/aws-lambda), so tests can provide a stand-in with `vi.stubGlobal('awslambda', ...)`.
 */
export function awslambdaRuntime(): AwsLambdaGlobal {
  const runtime = (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda;
  if (runtime === undefined) {
    throw new Error('the awslambda global is missing: streaming handlers run only in the AWS Lambda Node.js runtime');
  }
  return runtime;
}
