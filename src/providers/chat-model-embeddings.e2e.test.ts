import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import type { HttpHandler } from '../http/exchange.js';
import { answerText as text } from '../http/testing/answer-text.js';
import { createHttpHandler } from '../http/handler.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { SIM_CREDENTIALS, startBedrockSim } from '../sim/bedrock/index.js';
import type { SimServer } from '../sim/server.js';
import { createSimServiceAccount } from '../sim/vertex/credentials.js';
import { startVertexSim } from '../sim/vertex/index.js';

/*
 * `switchyard demo`'s "multicloud" group (Claude on Bedrock first) answered /v1/embeddings with a 400
 * naming the Bedrock model id ("Deployment model us.anthropic.claude-... is not a Titan or Cohere
 * embedding model.") after one attempt: the group's other deployments were never tried. A deployment
 * that cannot embed (Claude on Bedrock or Vertex, Anthropic's API, a Gemini chat model on Vertex) is now
 * skipped by the router (`Provider.embeds`); one declared to embed all the same refuses before sending,
 * in a way the executor falls back on; when no deployment embeds, the client reads why in the gateway's
 * words.
 */

const PROJECT = 'chat-embeds';
const MODEL_IDS = /claude|gemini-2|us\.anthropic|haiku/;

describe('embeddings asked of a group whose deployments are chat models', () => {
  const sims: SimServer[] = [];
  let gateway: Gateway;
  let handle: HttpHandler;
  const logged: string[] = [];
  const records: AttemptRecord[] = [];
  const logger: Logger = { ...silentLogger, error: (obj, msg) => logged.push(`${msg ?? ''}: ${JSON.stringify(obj).slice(0, 300)}`) };
  const upstreamCalls = (): number => sims.reduce((n, s) => n + s.stats.total, 0);

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [anthropic, vertex, bedrock] = await Promise.all([
      startAnthropicSim({ apiKey: 'sk-ant' }),
      startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
      startBedrockSim({ region: 'us-east-1' }),
    ]);
    sims.push(anthropic, vertex, bedrock);
    const aws = { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.url, access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' };
    const gcp = { provider: 'vertex', project: PROJECT, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true };
    const chat = ['bedrock-claude', 'anthropic', 'vertex-gemini', 'vertex-claude'];
    const parsed = parseConfig(
      {
        deployments: [
          { id: 'bedrock-claude', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', ...aws },
          { id: 'anthropic', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: anthropic.url, api_key: 'sk-ant' },
          { id: 'vertex-gemini', model: 'gemini-2.5-flash', ...gcp },
          { id: 'vertex-claude', model: 'claude-sonnet-4-5@20250929', publisher: 'anthropic', ...gcp },
          { id: 'bedrock-titan', model: 'amazon.titan-embed-text-v2:0', ...aws },
          // Declared to embed (a proxy the operator vouches for, say): the router takes the word for it.
          { id: 'anthropic-declared', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: anthropic.url, api_key: 'sk-ant', capabilities: ['embeddings'] },
        ],
        groups: [
          { name: 'multicloud', strategy: 'priority', deployments: [...chat, 'bedrock-titan'] },
          { name: 'chat-only', strategy: 'priority', deployments: chat },
          { name: 'declared', strategy: 'priority', deployments: ['anthropic-declared', 'bedrock-titan'] },
          { name: 'declared-only', strategy: 'priority', deployments: ['anthropic-declared'] },
        ],
      },
      { VERTEX_SA: account.json, AWS_KEY_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config, { logger, observers: [{ onAttempt: (r) => records.push(r) }] });
    handle = createHttpHandler(gateway, { logger });
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  const embed = async (model: string) => {
    const answer = await handle({ method: 'POST', path: '/v1/embeddings', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ model, input: 'hi' })), signal: new AbortController().signal });
    return { status: answer.status, headers: answer.headers, body: await text(answer) };
  };

  it('skips each chat deployment and is served by the embedding model after them, in one attempt and one upstream call', async () => {
    records.length = 0;
    const calls = upstreamCalls();
    const answer = await embed('multicloud');
    expect(answer.status).toBe(200);
    expect([answer.headers['x-switchyard-deployment'], answer.headers['x-switchyard-attempts']]).toEqual(['bedrock-titan', '1']);
    expect((JSON.parse(answer.body) as { data: unknown[] }).data).toHaveLength(1);
    // Titan's one InvokeModel call, nothing else.
    expect(upstreamCalls() - calls).toBe(1);
    expect(records.filter((r) => r.outcome === 'error')).toEqual([]);
    expect(logged).toEqual([]);
  });

  it('when no deployment embeds: a 400 in the gateway’s words naming model, with no upstream model id, none tried', async () => {
    const calls = upstreamCalls();
    const answer = await embed('chat-only');
    expect(answer.status).toBe(400);
    const error = (JSON.parse(answer.body) as { error: { message: string; param: string | null } }).error;
    expect([error.message, error.param]).toEqual(["No deployment of 'chat-only' supports embeddings.", 'model']);
    expect(error.message).not.toMatch(MODEL_IDS);
    expect(upstreamCalls()).toBe(calls);
    expect(logged).toEqual([]);
  });

  it('a deployment declared to embed that cannot refuses unsent: the next one serves, or the client reads why in the gateway’s words', async () => {
    records.length = 0;
    const calls = upstreamCalls();
    const served = await embed('declared');
    expect([served.status, served.headers['x-switchyard-deployment'], served.headers['x-switchyard-attempts']]).toEqual([200, 'bedrock-titan', '2']);
    expect(records.filter((r) => r.outcome === 'error').map((r) => [r.deployment, r.error?.kind, r.error?.unsent])).toEqual([['anthropic-declared', 'invalid_request', true]]);
    expect(upstreamCalls() - calls).toBe(1);
    const answer = await embed('declared-only');
    expect([answer.status, answer.headers['x-switchyard-attempts']]).toEqual([400, '1']);
    const error = (JSON.parse(answer.body) as { error: { message: string } }).error;
    expect(error).toEqual({ type: 'invalid_request_error', code: 'unsupported_capability', param: 'model', message: expect.stringMatching(/^No deployment of 'declared-only' served these embeddings: /) });
    expect(error.message).not.toMatch(MODEL_IDS);
    expect(upstreamCalls() - calls).toBe(1);
    expect(logged).toEqual([]);
  });
});
