// The Functions app's `main` (deploy/azure/app/package.json): registers the streaming HTTP function
// `switchyard`, built on its first request from the config file SWITCHYARD_CONFIG names (relative to the app folder).
import { millisFromEnv } from '../env-millis.js';
import { createServerlessEntry } from '../serverless-entry.js';
import { AZURE_DEADLINE_MS } from './deadline.js';
import { functionTimeoutMs } from './function-timeout.js';
import { registerAzureFunction } from './register.js';

// Streams end before the host's functionTimeout (host.json, next to the config); silence is the idle deadline's.
const entry = createServerlessEntry({ invocationMs: () => functionTimeoutMs(process.env, process.cwd()) });

registerAzureFunction('switchyard', entry.handler, { onSettled: entry.onSettled, deadlineMs: millisFromEnv(process.env, 'SWITCHYARD_DEADLINE_MS', AZURE_DEADLINE_MS, 1) });
