// The Functions app's `main` (deploy/azure/app/package.json): registers the streaming HTTP function
// `switchyard`, built on its first request from the config file SWITCHYARD_CONFIG names (relative to the app folder).
import { millisFromEnv } from '../env-millis.js';
import { createServerlessEntry } from '../serverless-entry.js';
import { AZURE_DEADLINE_MS } from './deadline.js';
import { functionTimeoutMs } from './function-timeout.js';
import { registerAzureFunction } from './register.js';
import { routePrefixOf } from './route-prefix.js';

// Streams end before the host's functionTimeout (host.json, next to the config); silence is the idle deadline's.
// An instance serves many invocations at once: two ledger connections, not one.
const entry = createServerlessEntry({ invocationMs: () => functionTimeoutMs(process.env, process.cwd()), poolSize: 2 });

// Paths come with host.json's routePrefix in front (Azure's `api` when it names none): taken off before routing.
registerAzureFunction('switchyard', entry.handler, { routePrefix: routePrefixOf(process.env, process.cwd()), onSettled: entry.onSettled, basePath: entry.basePath, deadlineMs: millisFromEnv(process.env, 'SWITCHYARD_DEADLINE_MS', AZURE_DEADLINE_MS, 1) });
