import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import { createGateway } from '../gateway/gateway.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { startEverySim, type EverySim } from '../sim/testing/every-sim.js';

/*
 * A chat UI's conversation opens with the assistant's greeting: [system, assistant, user]. Every provider
 * type answers it through the real server and the official openai SDK. The simulators refuse a leading
 * assistant message where the real API does (Gemini; Converse on Nova, Llama, Mistral...), so the
 * upstreams that take one get it as sent, and the others a user turn of "." before it, named in
 * x-switchyard-warnings.
 */

const PROJECT = 'opening-project';
const KEY = 'sk-opening';

/** Deployment id, the model the simulator names in its answer, and whether a user turn had to go first. */
const TARGETS = [
  { id: 'openai', model: 'gpt-4o-mini', opened: false },
  { id: 'azure', model: 'gpt-4o', opened: false },
  { id: 'bedrock-claude', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', opened: false },
  { id: 'bedrock-nova', model: 'amazon.nova-micro-v1:0', opened: true },
  { id: 'gemini', model: 'gemini-2.5-flash', opened: true },
  { id: 'vertex-claude', model: 'claude-sonnet-4-5@20250929', opened: false },
  { id: 'anthropic', model: 'claude-sonnet-4-6', opened: false },
] as const;

const GREETED: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a friendly helper.' },
  { role: 'assistant', content: 'Hi! How can I help?' },
  { role: 'user', content: 'What is the capital of France?' },
];

describe('a conversation that opens with an assistant message, through the server and the openai SDK', () => {
  let sims: EverySim;
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    sims = await startEverySim(PROJECT, 'sk-oa');
    const { openai, azure, anthropic, aws, gcp } = sims;
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        api_keys: [{ id: 'k', key: KEY }],
        deployments: [
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-oa' },
          { id: 'azure', provider: 'azure-openai', model: 'gpt-4o', endpoint: azure.url, api_version: '2024-10-21', api_key: 'az-key' },
          { id: 'bedrock-claude', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', ...aws },
          { id: 'bedrock-nova', model: 'amazon.nova-micro-v1:0', ...aws },
          { id: 'gemini', model: 'gemini-2.5-flash', ...gcp },
          { id: 'vertex-claude', publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929', ...gcp, region: 'us-east5' },
          { id: 'anthropic', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropic.url, api_key: 'sk-ant' },
        ],
      },
      sims.env,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sims.close();
  });

  describe.each(TARGETS)('routed to $id', (t) => {
    const warned = t.opened ? 'messages' : null;

    it(`answers the user's question${t.opened ? ', naming the user turn put first in x-switchyard-warnings' : ', sent as it is'}`, async () => {
      const { data, response } = await client.chat.completions.create({ model: t.id, messages: GREETED }).withResponse();
      expect(data.choices[0]?.message.content).toBe(`Hello from ${t.model}! You said: What is the capital of France?.`);
      expect(response.headers.get('x-switchyard-warnings')).toBe(warned);
    });

    it('answers it streamed too', async () => {
      const { data: stream, response } = await client.chat.completions.create({ model: t.id, messages: GREETED, stream: true }).withResponse();
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe(`Hello from ${t.model}! You said: What is the capital of France?.`);
      expect(response.headers.get('x-switchyard-warnings')).toBe(warned);
    });
  });
});
