import OpenAI from 'openai';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { parseConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { createGateway } from '../../gateway/gateway.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

/** An OpenAI simulator behind the real server, and the official SDK in front of it. */
export interface OpenAIFront {
  sim: SimServer;
  server: RunningServer;
  openai: OpenAI;
  close(): Promise<void>;
}

/** The simulator's own key: what each deployment of `deployments` sends it. */
const UPSTREAM_KEY = 'sk-up';

/** What a group's one deployment of the simulator sets beyond the defaults (its `model`, `passthrough`...). */
export type SimDeployment = Partial<ConfigInput['deployments'][number]>;

/**
 * Starts the simulator, a server with `clientKey` as its one API key, one attempt per deployment (a
 * refusal is the door's, never a retry's) and one group per entry of `groups`, each of one deployment of
 * the simulator (`gpt-4o-mini` unless it says otherwise; default: the group `chat`), and an SDK client
 * that never retries.
 */
export async function startOpenAIFront(clientKey: string, groups: Readonly<Record<string, SimDeployment>> = { chat: {} }): Promise<OpenAIFront> {
  const sim = await startOpenAISim({ apiKey: UPSTREAM_KEY });
  const names = Object.keys(groups);
  const parsed = parseConfig({
    api_keys: [{ id: 'k', key: clientKey }],
    routing: { max_attempts_per_deployment: 1 },
    deployments: names.map((name) => ({ id: `${name}-upstream`, provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: UPSTREAM_KEY, ...groups[name] })),
    groups: names.map((name) => ({ name, deployments: [`${name}-upstream`] })),
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const server = await startServer(createGateway(parsed.config), { port: 0 });
  const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: clientKey, maxRetries: 0 });
  return {
    sim,
    server,
    openai,
    async close() {
      await server.shutdown(100);
      await sim.close();
    },
  };
}
