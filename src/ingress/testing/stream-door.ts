/**
 * The real server in front of every provider simulator, for the doors' stream-fidelity specs: each door
 * is driven over an upstream of another wire format, its raw SSE body read event by event.
 */
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { startEverySim, type EverySim } from '../../sim/testing/every-sim.js';

export const STREAM_KEY = 'sk-stream-door';

/** The deployments, named by the upstream they reach, and the model each simulator answers as. */
export const UPSTREAM_MODELS = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-6',
  bedrock: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
  gemini: 'gemini-2.5-flash',
} as const;

export type Upstream = keyof typeof UPSTREAM_MODELS;

/** One SSE event: its `event:` name ('' for none) and its data, parsed when it is JSON. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** The events of an SSE body in order; a `data:` line that is not JSON (`[DONE]`) is kept as text. */
export function parseSse(body: string): SseEvent[] {
  return body
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(frame)?.[1] ?? '';
      try {
        return { event, data: JSON.parse(data) as unknown };
      } catch {
        return { event, data };
      }
    });
}

export interface StreamDoor {
  sims: EverySim;
  url: string;
  /** POSTs a body to a door's path with the key (as a bearer and as x-api-key) and reads the answer whole. */
  post(path: string, body: unknown): Promise<{ status: number; events: SseEvent[] }>;
  /** The faults of the simulator behind an upstream, cleared after each spec by `clearFaults`. */
  faultsOf(upstream: Upstream): EverySim['openai']['faults'];
  clearFaults(): void;
  close(): Promise<void>;
}

/** Starts the simulators and the server with one deployment per upstream, each named after it. */
export async function startStreamDoor(project: string): Promise<StreamDoor> {
  const sims = await startEverySim(project);
  const parsed = parseConfig(
    {
      api_keys: [{ id: 'k', key: STREAM_KEY }],
      routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
      deployments: [
        { id: 'openai', provider: 'openai-compatible', model: UPSTREAM_MODELS.openai, endpoint: `${sims.openai.url}/v1`, api_key: sims.keys.openai },
        { id: 'anthropic', provider: 'anthropic', model: UPSTREAM_MODELS.anthropic, endpoint: sims.anthropic.url, api_key: sims.keys.anthropic },
        { id: 'bedrock', ...sims.aws, model: UPSTREAM_MODELS.bedrock },
        { id: 'gemini', ...sims.gcp, model: UPSTREAM_MODELS.gemini },
      ],
    },
    sims.env,
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const server: RunningServer = await startServer(createGateway(parsed.config), { port: 0 });
  const byUpstream = { openai: sims.openai, anthropic: sims.anthropic, bedrock: sims.bedrock, gemini: sims.vertex };
  return {
    sims,
    url: server.url,
    async post(path, body) {
      const res = await request(`${server.url}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        // The Messages API refuses a request without its version header; the OpenAI doors read none.
        headers: { 'content-type': 'application/json', authorization: `Bearer ${STREAM_KEY}`, 'x-api-key': STREAM_KEY, ...(path.startsWith('/v1/messages') ? { 'anthropic-version': '2023-06-01' } : {}) },
      });
      return { status: res.statusCode, events: parseSse(await res.body.text()) };
    },
    faultsOf: (upstream) => byUpstream[upstream].faults,
    clearFaults() {
      for (const sim of Object.values(byUpstream)) sim.faults.clear();
    },
    async close() {
      await server.shutdown(100);
      await sims.close();
    },
  };
}
