// Imported by the function's source (deploy/gcp/function/index.js): registers the HTTP function
// `switchyard` (`--entry-point switchyard`), built on its first request from the config file SWITCHYARD_CONFIG names.
import { millisFromEnv } from '../env-millis.js';
import { createServerlessEntry } from '../serverless-entry.js';
import { registerGcpFunction } from './index.js';

// The function is not told its --timeout: streams end before 2nd gen's most for HTTP (3600 s), or
// before SWITCHYARD_FUNCTION_TIMEOUT_MS when the deploy sets a shorter one.
const entry = createServerlessEntry({ invocationMs: () => millisFromEnv(process.env, 'SWITCHYARD_FUNCTION_TIMEOUT_MS', 3_600_000, 1) });

registerGcpFunction('switchyard', entry.handler, { onSettled: entry.onSettled, basePath: entry.basePath });
