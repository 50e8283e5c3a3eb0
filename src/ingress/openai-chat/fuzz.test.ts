import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startEverySim, type EverySim } from '../../sim/testing/every-sim.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { fuzzCases, type FuzzCase } from './testing/fuzz.js';

// FUZZ_SEED and FUZZ_CHAT_CASES explore beyond the fixed run; the defaults keep `npm test` deterministic.
const SEED = Number(process.env.FUZZ_SEED ?? 20_251_110);
const CHAT_CASES = Number(process.env.FUZZ_CHAT_CASES ?? 360);
const EMBED_CASES = 120;
const PROJECT = 'fuzz-project';

interface Target {
  /** Deployment ids of the chat and (when the provider has them) the embeddings deployment. */
  chat: string;
  embeddings?: string;
}

const TARGETS: Target[] = [
  { chat: 'openai', embeddings: 'openai-embed' },
  { chat: 'azure', embeddings: 'azure-embed' },
  { chat: 'bedrock', embeddings: 'bedrock-embed' },
  { chat: 'gemini', embeddings: 'gemini-embed' },
  { chat: 'vertex-claude' },
  { chat: 'anthropic' },
];

interface Outcome {
  label: string;
  status: number;
  body: string;
}

/** What is wrong with an answer, or undefined: no 5xx, and every error in the OpenAI shape. */
function problem(o: Outcome): string | undefined {
  if (o.status >= 500) return `status ${o.status}`;
  if (o.status === 200) {
    // A stream that failed after its first byte reports the error in an event; none may be a server error.
    return /"type":"server_error"/.test(o.body) ? 'server_error event in stream' : undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(o.body);
  } catch {
    return 'error body is not JSON';
  }
  const e = (json as { error?: Record<string, unknown> }).error;
  const shaped = e !== undefined && typeof e.message === 'string' && typeof e.type === 'string' && (e.code === null || typeof e.code === 'string') && (e.param === null || typeof e.param === 'string');
  return shaped && Object.keys(e).length === 4 ? undefined : 'error body is not in the OpenAI shape';
}

async function send(url: string, c: FuzzCase): Promise<Outcome> {
  const res = await request(url, { method: 'POST', body: c.body, headers: { 'content-type': 'application/json' } });
  return { label: c.label, status: res.statusCode, body: await res.body.text() };
}

/** Runs the cases a few at a time; a handful in flight keeps the test fast without starving the sims. */
async function runAll(url: string, cases: FuzzCase[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++] as FuzzCase;
      out.push(await send(url, c));
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return out;
}

describe('fuzzed requests against every provider type', () => {
  let sims: EverySim;
  let server: RunningServer;
  const logged: string[] = [];
  const logger: Logger = { ...silentLogger, error: (obj, msg) => logged.push(`${msg}: ${JSON.stringify(obj)}`) };

  beforeAll(async () => {
    sims = await startEverySim(PROJECT);
    const { openai, azure, anthropic, aws, gcp } = sims;
    const az = { provider: 'azure-openai', endpoint: azure.url, api_version: '2024-10-21', api_key: 'az-key' };
    const parsed = parseConfig(
      {
        server: { body_limit_bytes: 1024 * 1024 },
        routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000, allow_direct_deployments: true },
        deployments: [
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-test' },
          { id: 'openai-embed', provider: 'openai-compatible', model: 'text-embedding-3-small', endpoint: `${openai.url}/v1`, api_key: 'sk-test' },
          { id: 'azure', model: 'gpt-4o', ...az },
          { id: 'azure-embed', model: 'text-embedding-3-small', ...az },
          { id: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', ...aws },
          { id: 'bedrock-embed', model: 'amazon.titan-embed-text-v2:0', ...aws },
          { id: 'gemini', model: 'gemini-2.5-flash', ...gcp },
          { id: 'gemini-embed', model: 'gemini-embedding-001', ...gcp },
          { id: 'vertex-claude', publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929', ...gcp, region: 'us-east5' },
          { id: 'anthropic', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropic.url, api_key: 'sk-ant', max_output_tokens: 64_000 },
        ],
      },
      sims.env,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0, logger });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sims.close();
  });

  it('answers thousands of mutated chat and embedding requests with no 5xx, every error in the OpenAI shape', async () => {
    const bad: string[] = [];
    let total = 0;
    for (const [i, t] of TARGETS.entries()) {
      const runs: Array<[string, FuzzCase[]]> = [[`${server.url}/v1/chat/completions`, fuzzCases(SEED + i, CHAT_CASES, 'chat', t.chat)]];
      // Providers without embeddings still get some: the answer must be a 4xx, not a crash.
      runs.push([`${server.url}/v1/embeddings`, fuzzCases(SEED + 100 + i, EMBED_CASES, 'embeddings', t.embeddings ?? t.chat)]);
      for (const [url, cases] of runs) {
        for (const o of await runAll(url, cases)) {
          total += 1;
          const p = problem(o);
          if (p) bad.push(`${t.chat}: ${o.label}: ${p}: ${o.body.slice(0, 300)}`);
        }
      }
    }
    expect(total).toBe(TARGETS.length * (CHAT_CASES + EMBED_CASES));
    expect(bad.slice(0, 40)).toEqual([]);
    expect(logged.slice(0, 5)).toEqual([]);
    // Still healthy afterwards: nothing crashed or wedged.
    const ok = await request(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'openai', messages: [{ role: 'user', content: 'x' }] }) });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
  }, 60_000);
});
