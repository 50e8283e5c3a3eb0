import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { AttemptRecord } from '../../core/events.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import type { HttpHandler } from '../../http/exchange.js';
import { answerText as text } from '../../http/testing/answer-text.js';
import { createHttpHandler } from '../../http/handler.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import { SIM_CREDENTIALS, startBedrockSim } from '../../sim/bedrock/index.js';
import type { SimServer } from '../../sim/server.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import { startVertexSim } from '../../sim/vertex/index.js';

/*
 * Tool-call arguments are JSON text inside the body, which the body's 64-level depth check does not
 * look into; the Anthropic, Gemini and Converse dialects parse them into the object their upstream
 * takes. Nested 5,000 levels deep (a body only 6 deep), they overflowed JSON.stringify's stack when
 * the upstream body was written: a 500 "Internal gateway error" with a stack trace in the log; at
 * 2,000 they went upstream. Either is the client's mistake, a 400 in the door's shape.
 */

const PROJECT = 'deep-args';
const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const tools = [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }];

const chatBody = (model: string, args: string) => ({
  model,
  max_tokens: 16,
  tools,
  messages: [
    { role: 'user', content: 'Look it up.' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: args } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'found' },
  ],
});

const responsesBody = (model: string, args: string) => ({
  model,
  max_output_tokens: 16,
  tools: [{ type: 'function', name: 'look', parameters: { type: 'object' } }],
  input: [
    { role: 'user', content: 'Look it up.' },
    { type: 'function_call', call_id: 'call_1', name: 'look', arguments: args },
    { type: 'function_call_output', call_id: 'call_1', output: 'found' },
  ],
});

describe('deeply nested tool-call arguments, through the doors', () => {
  const sims: SimServer[] = [];
  let gateway: Gateway;
  let handle: HttpHandler;
  const logged: string[] = [];
  const records: AttemptRecord[] = [];
  const logger: Logger = { ...silentLogger, error: (obj, msg) => logged.push(`${msg ?? ''}: ${JSON.stringify(obj).slice(0, 300)}`) };

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [anthropic, vertex, bedrock] = await Promise.all([
      startAnthropicSim({ apiKey: 'sk-ant' }),
      startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
      startBedrockSim({ region: 'us-east-1' }),
    ]);
    sims.push(anthropic, vertex, bedrock);
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        deployments: [
          { id: 'anthropic', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: anthropic.url, api_key: 'sk-ant' },
          { id: 'gemini', provider: 'vertex', model: 'gemini-2.5-flash', project: PROJECT, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
          { id: 'bedrock', provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: bedrock.url, access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' },
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

  const send = async (path: string, body: object) => {
    const answer = await handle({ method: 'POST', path, query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), signal: new AbortController().signal });
    return { status: answer.status, body: await text(answer) };
  };

  const cases: Array<[string, string, (model: string, args: string) => object, string]> = [
    ['chat completions', '/v1/chat/completions', chatBody, 'messages[1].tool_calls[0].function.arguments'],
    ['responses', '/v1/responses', responsesBody, 'input[1].arguments'],
  ];

  for (const [door, path, body, param] of cases) {
    for (const deployment of ['anthropic', 'gemini', 'bedrock']) {
      for (const stream of [false, true]) {
        it(`${door}${stream ? ', streamed,' : ''} to ${deployment}: 5,000 and 2,000 levels are a 400 invalid_request naming ${param}, sent nowhere; 64 levels are served`, async () => {
          const calls = sims.reduce((a, s) => a + s.stats.total, 0);
          records.length = 0;
          for (const depth of [5_000, 2_000]) {
            const answer = await send(path, { ...body(deployment, nested(depth)), stream });
            expect(answer.status).toBe(400);
            expect(JSON.parse(answer.body)).toMatchObject({ error: { type: 'invalid_request_error', param, message: expect.stringContaining('deeper than 64 levels') } });
          }
          expect(sims.reduce((a, s) => a + s.stats.total, 0)).toBe(calls);
          expect(records.filter((r) => !(r.outcome === 'error' && r.error?.unsent === true))).toEqual([]);
          expect(logged).toEqual([]);
          const served = await send(path, { ...body(deployment, nested(64)), stream });
          expect(served.status).toBe(200);
        });
      }
    }
  }
});
