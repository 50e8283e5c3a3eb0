// The Functions app's `main` (deploy/azure/app/package.json): registers the streaming HTTP function
// `switchyard`, built on its first request from the config file SWITCHYARD_CONFIG names (relative to the app folder).
import { createServerlessEntry } from '../serverless-entry.js';
import { registerAzureFunction } from './register.js';

const entry = createServerlessEntry();

registerAzureFunction('switchyard', entry.handler, { onSettled: entry.onSettled });
