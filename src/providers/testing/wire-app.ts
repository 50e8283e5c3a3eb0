import { createApp, type App } from '../../app.js';
import { parseConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { HttpHandler } from '../../http/exchange.js';
import { createHttpHandler } from '../../http/handler.js';
import { SIM_CREDENTIALS } from '../../sim/bedrock/index.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';

/**
 * One deployment of each upstream wire format, all at `url` (a test upstream that answers every
 * provider's paths): the deployments the upstream reply suites (the fuzzer, the timing suite) drive.
 */
export function wireDeployments(url: string, project: string): ConfigInput['deployments'] {
  return [
    { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${url}/v1`, api_key: 'sk-test' },
    { id: 'azure', provider: 'azure-openai', model: 'gpt-4o-mini', endpoint: url, api_key: 'az-key' },
    { id: 'anthropic', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: url, api_key: 'sk-ant' },
    { id: 'gemini', provider: 'vertex', model: 'gemini-2.5-flash', project, region: 'europe-west4', endpoint: url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
    { id: 'bedrock', provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: url, access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' },
  ];
}

/**
 * Routing that lets every case of a suite meet a deployment as the case before left it: no backoff,
 * a 1 ms cool-down, a breaker and a retry budget that never trip. A suite adds its own timeouts.
 */
export const FORGIVING_ROUTING = {
  max_attempts_per_deployment: 2,
  allow_direct_deployments: true,
  backoff: { base_ms: 0, cap_ms: 0, max_retry_after_ms: 0 },
  rate_limit: { default_cool_down_ms: 1, max_cool_down_ms: 1 },
  breaker: { consecutive_failures: 1_000_000, min_requests: 1_000_000 },
  retry_budget: { ratio: 10, min_retries: 1_000_000 },
};

/**
 * The app of a suite's config (with `wireDeployments`' credentials: a simulator's Vertex service account
 * for `project`, Bedrock's simulator keys) and its handler; every error it logs is pushed to `logged`.
 */
export async function wireApp(config: ConfigInput, project: string, logged: string[]): Promise<{ app: App; handle: HttpHandler }> {
  const account = createSimServiceAccount(project);
  const parsed = parseConfig(config, { VERTEX_SA: account.json, AWS_KEY_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const logger: Logger = { ...silentLogger, error: (obj, msg) => logged.push(`${msg ?? ''}: ${JSON.stringify(obj).slice(0, 600)}`) };
  const app = await createApp(parsed.config, { logger });
  return { app, handle: createHttpHandler(app.gateway, app.handlerOptions) };
}
