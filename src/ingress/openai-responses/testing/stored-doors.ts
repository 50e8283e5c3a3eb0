import OpenAI from 'openai';
import { startServer, type RunningServer } from '../../../adapters/node/server.js';
import { parseConfig } from '../../../config/load.js';
import { createGateway } from '../../../gateway/gateway.js';

/** One config served twice, with response storage on (`server`) and off (`closedServer`), and the SDK as two of its keys. */
export interface StoredDoors {
  server: RunningServer;
  closedServer: RunningServer;
  /** The SDK as key `key-one`, and as `key-two` (another caller). */
  client: OpenAI;
  other: OpenAI;
  close(): Promise<void>;
}

/** Starts `base` (its keys `key-one` and `key-two`) with `responses.store` on and off. */
export async function startStoredDoors(base: Record<string, unknown>, env: Record<string, string>): Promise<StoredDoors> {
  const parsed = parseConfig({ ...base, responses: { store: { enabled: true } } }, env);
  const closed = parseConfig(base, env);
  if (!parsed.ok || !closed.ok) throw new Error(JSON.stringify(parsed.ok ? closed : parsed));
  const server = await startServer(createGateway(parsed.config), { port: 0 });
  const closedServer = await startServer(createGateway(closed.config), { port: 0 });
  return {
    server,
    closedServer,
    client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'key-one', maxRetries: 0 }),
    other: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'key-two', maxRetries: 0 }),
    close: async () => {
      await server.shutdown(100);
      await closedServer.shutdown(100);
    },
  };
}

/** What a refused call threw, as the SDK surfaces it. */
export async function refusal(call: Promise<unknown>): Promise<{ status: unknown; error: unknown }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(err)}`);
  return { status: err.status, error: err.error };
}
