import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startServer, type RunningServer } from '../../../adapters/node/server.js';
import { parseConfig } from '../../../config/load.js';
import { createGateway } from '../../../gateway/gateway.js';
import type { SimServer } from '../../../sim/server.js';
import { createSimServiceAccount } from '../../../sim/vertex/credentials.js';
import { startVertexSim } from '../../../sim/vertex/index.js';

const KEY = 'sk-switchyard';
const PROJECT = 'gemini-structured';
const user = (text: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content: text }];

interface Tree {
  name: string;
  children: Tree[];
}
const Node: z.ZodType<Tree> = z.object({
  name: z.string(),
  get children() {
    return z.array(Node);
  },
});

/*
 * The schema's $defs and $ref were dropped on the way to Gemini (its responseSchema, an OpenAPI subset,
 * has no references), so a property defined by reference reached the model as an empty schema and the
 * answer did not parse. Now references are inlined, and a recursive schema goes as responseJsonSchema.
 */
describe("the openai SDK's parse() through Gemini on Vertex, with a schema that uses references", () => {
  let sim: SimServer;
  let server: RunningServer;
  let openai: OpenAI;

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    sim = await startVertexSim({ publicKey: account.publicKey, project: PROJECT });
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        api_keys: [{ id: 'k', key: KEY }],
        deployments: [{ id: 'gemini', provider: 'vertex', model: 'gemini-2.5-flash', project: PROJECT, region: 'europe-west4', endpoint: sim.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true }],
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
    await sim.close();
  });

  const sentConfig = (): Record<string, unknown> => (JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as { generationConfig?: Record<string, unknown> }).generationConfig ?? {};

  it('parses an answer whose schema defines its parts under $defs, inlined into responseSchema', async () => {
    const address = { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' } }, required: ['city', 'zip'], additionalProperties: false };
    const schema = { type: 'object', properties: { home: { $ref: '#/$defs/address' }, work: { $ref: '#/$defs/address' } }, required: ['home', 'work'], additionalProperties: false, $defs: { address } };
    const r = await openai.chat.completions.parse({ model: 'gemini', messages: user('Where do they live and work?'), response_format: { type: 'json_schema', json_schema: { name: 'places', strict: true, schema } } });
    expect(r.choices[0]?.message.parsed).toEqual({ home: { city: '', zip: '' }, work: { city: '', zip: '' } });
    expect(sentConfig().responseSchema).toMatchObject({ properties: { home: { type: 'object', properties: { city: { type: 'string' } } } } });
  });

  it("parses an answer to zod's recursive type, sent as responseJsonSchema", async () => {
    const r = await openai.chat.completions.parse({ model: 'gemini', messages: user('Draw the family tree.'), response_format: zodResponseFormat(z.object({ root: Node }), 'tree') });
    expect(r.choices[0]?.message.parsed).toEqual({ root: { name: '', children: [] } });
    expect(sentConfig()).toMatchObject({ responseMimeType: 'application/json', responseJsonSchema: { properties: { root: { $ref: '#/$defs/__schema0' } }, $defs: { __schema0: { type: 'object' } } } });
    expect(sentConfig()).not.toHaveProperty('responseSchema');
  });

  it('answers a $ref to nothing in the schema with a 400 naming response_format', async () => {
    const schema = { type: 'object', properties: { home: { $ref: '#/$defs/missing' } }, required: ['home'], additionalProperties: false };
    const refused = await openai.chat.completions.create({ model: 'gemini', messages: user('hi'), response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ param: 'response_format', message: expect.stringContaining("the $ref '#/$defs/missing' names nothing in the schema") });
  });
});
