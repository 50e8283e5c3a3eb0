import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import type { HttpHandler } from '../http/exchange.js';
import { answerText as text } from '../http/testing/answer-text.js';
import { createHttpHandler } from '../http/handler.js';
import { startEverySim, type EverySim } from '../sim/testing/every-sim.js';

/*
 * An upstream that cuts its stream midway (`switchyard demo`: `POST /__sim/faults {"cut_after_chunks":2}`)
 * ended the client's stream with "Upstream openai-compatible connection failed (SOCKET_CLOSED).": but
 * the connection worked, the answer broke off partway. Every provider type, through every door, now
 * says so in the gateway's words: which deployment (its type beside an id that differs), the answer's
 * kind of failure, how far it got, nothing of the upstream.
 */

const PROJECT = 'cut-streams';
const brokeOff = (deployment: string): RegExp =>
  new RegExp(`^Upstream ${deployment}( \\([a-z-]+\\))?'s stream ended before it finished: the upstream (closed|reset) the connection after \\d+ bytes of its body\\.$`);

const DOORS = {
  'chat completions': { path: '/v1/chat/completions', headers: {}, body: (model: string) => ({ model, stream: true, messages: [{ role: 'user', content: 'hi there' }] }) },
  responses: { path: '/v1/responses', headers: {}, body: (model: string) => ({ model, stream: true, input: 'hi there' }) },
  messages: { path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' }, body: (model: string) => ({ model, stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'hi there' }] }) },
};

/** Every string `message` in the JSON of an SSE body's frames (the doors' error events put the error's text there). */
function messagesIn(body: string): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'message' && typeof x === 'string') found.push(x);
        else walk(x);
      }
    }
  };
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    walk(JSON.parse(line.slice(6)));
  }
  return found;
}

describe('a stream its upstream cuts midway, through every door', () => {
  let sims: EverySim;
  let gateway: Gateway;
  let handle: HttpHandler;
  const logged: string[] = [];
  const logger: Logger = { ...silentLogger, error: (obj, msg) => logged.push(`${msg ?? ''}: ${JSON.stringify(obj).slice(0, 300)}`) };

  beforeAll(async () => {
    sims = await startEverySim(PROJECT);
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        deployments: [
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sims.openai.url}/v1`, api_key: sims.keys.openai },
          { id: 'azure', provider: 'azure-openai', model: 'gpt-4o', endpoint: sims.azure.url, api_key: sims.keys.azure },
          { id: 'anthropic', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: sims.anthropic.url, api_key: sims.keys.anthropic },
          { id: 'gemini', ...sims.gcp, model: 'gemini-2.5-flash' },
          { id: 'bedrock', ...sims.aws, model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0' },
        ],
      },
      sims.env,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config, { logger });
    handle = createHttpHandler(gateway, { logger });
  });

  afterAll(async () => {
    await gateway.close();
    await sims.close();
  });

  const upstreams = { openai: () => sims.openai, azure: () => sims.azure, anthropic: () => sims.anthropic, gemini: () => sims.vertex, bedrock: () => sims.bedrock };

  for (const [door, { path, headers, body }] of Object.entries(DOORS)) {
    for (const [deployment, sim] of Object.entries(upstreams)) {
      it(`${door} over ${deployment}: ends with the answer broken off, not a failed connection, in the gateway's words`, async () => {
        // A short gap lets the first chunks reach the gateway before the simulator cuts the connection.
        sim().faults.add({ cut_after_chunks: 2, inter_chunk_ms: 5, count: 1 });
        const answer = await handle({ method: 'POST', path, query: '', headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body(deployment))), signal: new AbortController().signal });
        const sent = await text(answer);
        expect(answer.status).toBe(200);
        const messages = messagesIn(sent);
        expect(messages.length).toBeGreaterThan(0);
        for (const message of messages) expect(message).toMatch(brokeOff(deployment));
        expect(logged).toEqual([]);
      });
    }
  }
});
