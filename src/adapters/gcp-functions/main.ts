// Imported by the function's source (deploy/gcp/function/index.js): registers the HTTP function
// `switchyard` (`--entry-point switchyard`), built on its first request from the config file SWITCHYARD_CONFIG names.
import { createServerlessEntry } from '../serverless-entry.js';
import { registerGcpFunction } from './index.js';

const entry = createServerlessEntry();

registerGcpFunction('switchyard', entry.handler, { onSettled: entry.onSettled });
