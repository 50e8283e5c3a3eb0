import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startServer, type RunningServer } from '../../../adapters/node/server.js';
import { parseConfig } from '../../../config/load.js';
import { createGateway } from '../../../gateway/gateway.js';
import { startAnthropicSim } from '../../../sim/anthropic/index.js';
import type { SimServer } from '../../../sim/server.js';
import { createSimServiceAccount } from '../../../sim/vertex/credentials.js';
import { startVertexSim } from '../../../sim/vertex/index.js';

const KEY = 'sk-switchyard';
const PROJECT = 'structured-project';

/** Where each Claude deployment's simulator is, in `sims`. */
const TARGETS = [
  { id: 'anthropic-sonnet', sim: 0 },
  { id: 'vertex-opus', sim: 1 },
] as const;

const Booking = z.object({ city: z.string(), nights: z.number().int(), breakfast: z.boolean() });
const user = (text: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content: text }];

/*
 * The openai SDK's parse() reads the answer's text as JSON of the client's schema. Claude was asked
 * for it only by a system instruction, so an answer with any prose failed to parse; Claude 4.5 and
 * later take the schema as structured outputs (`output_config.format`), which the simulators honour as
 * the API does: their answer is JSON of the schema only when the schema arrives there.
 */
describe("the openai SDK's parse() through Claude, with structured outputs", () => {
  const sims: SimServer[] = [];
  let server: RunningServer;
  let openai: OpenAI;

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [anthropicSim, vertexSim] = await Promise.all([startAnthropicSim({ apiKey: 'sk-ant' }), startVertexSim({ publicKey: account.publicKey, project: PROJECT })]);
    sims.push(anthropicSim, vertexSim);
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        api_keys: [{ id: 'k', key: KEY }],
        deployments: [
          { id: 'anthropic-sonnet', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropicSim.url, api_key: 'sk-ant' },
          { id: 'vertex-opus', provider: 'vertex', publisher: 'anthropic', model: 'claude-opus-4-7@20260416', project: PROJECT, region: 'us-east5', endpoint: vertexSim.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true, structured_outputs: true },
        ],
        groups: [],
      },
      { VERTEX_SA: account.json },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all(sims.map((s) => s.close()));
  });

  const sent = (t: (typeof TARGETS)[number]): Record<string, unknown> => JSON.parse(sims[t.sim]?.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;

  describe.each(TARGETS)('on $id', (t) => {
    it('parses the answer into the zod schema, which reached Claude as output_config.format', async () => {
      const r = await openai.chat.completions.parse({ model: t.id, messages: user('Two nights in Paris, please.'), response_format: zodResponseFormat(Booking, 'booking') });
      expect(r.choices[0]?.message.parsed).toEqual({ city: '', nights: 0, breakfast: false });
      const body = sent(t);
      expect(body.output_config).toMatchObject({ format: { type: 'json_schema', schema: { type: 'object', required: ['city', 'nights', 'breakfast'], additionalProperties: false } } });
      // The integer's bounds are no part of Claude's subset: they are written into its description.
      expect(body.output_config).toMatchObject({ format: { schema: { properties: { nights: { type: 'integer', description: expect.stringContaining('minimum: -9007199254740991') } } } } });
      expect(body.system).toBeUndefined();
    });

    it('parses a streamed answer too', async () => {
      const stream = openai.chat.completions.stream({ model: t.id, messages: user('Two nights in Paris, please.'), response_format: zodResponseFormat(Booking, 'booking') });
      expect((await stream.finalChatCompletion()).choices[0]?.message.parsed).toEqual({ city: '', nights: 0, breakfast: false });
    });
  });
});
