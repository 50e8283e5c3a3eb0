// Imported by the function's source (deploy/gcp/function/index.js): registers the HTTP function
// `switchyard` (`--entry-point switchyard`), built on its first request from the config file SWITCHYARD_CONFIG names.
import { createServerlessEntry } from '../serverless-entry.js';
import { functionTimeoutMs, requestDeadlineMs } from './deadline.js';
import { registerGcpFunction } from './index.js';

// The function's --timeout (SWITCHYARD_FUNCTION_TIMEOUT_MS, else CLOUD_RUN_TIMEOUT_SECONDS, else 2nd gen's
// most for HTTP, 3600 s): streams end before it, and a request still running near it is stopped.
const timeoutMs = functionTimeoutMs(process.env);
// An instance serves up to --concurrency requests at once: two ledger connections, not one.
const entry = createServerlessEntry({ invocationMs: () => timeoutMs, poolSize: 2 });

registerGcpFunction('switchyard', entry.handler, { onSettled: entry.onSettled, basePath: entry.basePath, deadlineMs: requestDeadlineMs(timeoutMs) });
