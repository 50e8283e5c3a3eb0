import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startOpenAISim } from '../../sim/openai/index.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../../sim/bedrock/index.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import type { SimServer } from '../../sim/server.js';
import type { RunningServer } from '../../adapters/node/server.js';
import { startStoredDoors, type StoredDoors, refusal } from './testing/stored-doors.js';

const PROJECT = 'item-references-project';
const WEATHER = { type: 'function' as const, name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { query: { type: 'string' } } }, strict: false };


/** OpenAI's answer for an item it does not have: a 404 naming `input`, without a code. */
const itemNotFound = (quoted: string | undefined): { status: number; error: Record<string, unknown> } => ({
  status: 404,
  error: { message: quoted === undefined ? 'Item with that id not found.' : `Item with id '${quoted}' not found.`, type: 'invalid_request_error', param: 'input', code: null },
});

const ref = (id: string): OpenAI.Responses.ResponseInputItem => ({ type: 'item_reference', id });

describe('item references in Responses input, resolved against the caller’s stored responses, through the server and the official SDK', () => {
  const sims: Record<string, SimServer> = {};
  let closedServer: RunningServer;
  let client: OpenAI;
  let other: OpenAI;
  let doors: StoredDoors;

  /** The JSON body the last request to a sim carried. */
  const sentTo = (sim: string): Record<string, unknown> => JSON.parse(sims[sim]?.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [openai, bedrock, vertex] = await Promise.all([startOpenAISim({ apiKey: 'sk-test' }), startBedrockSim({ region: 'us-east-1' }), startVertexSim({ publicKey: account.publicKey, project: PROJECT })]);
    Object.assign(sims, { openai, bedrock, vertex });
    const base = {
      routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000, allow_direct_deployments: true },
      api_keys: [
        { id: 'one', key: '${K1}' },
        { id: 'two', key: '${K2}' },
      ],
      deployments: [
        { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-test' },
        { id: 'bedrock', provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: bedrock.url, access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' },
        { id: 'gemini', provider: 'vertex', model: 'gemini-2.5-flash', project: PROJECT, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
      ],
    };
    const env = { AWS_KEY_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: account.json, K1: 'key-one', K2: 'key-two' };
    doors = await startStoredDoors(base, env);
    ({ closedServer, client, other } = doors);
  });

  afterAll(async () => {
    await doors.close();
    await Promise.all(Object.values(sims).map((s) => s.close()));
  });

  it('continues a function_call output item referenced by id and answered by a function_call_output', async () => {
    const first = await client.responses.create({ model: 'openai', input: 'Please call the tool for Paris', tools: [WEATHER] });
    const call = first.output.find((o) => o.type === 'function_call');
    if (call?.type !== 'function_call' || call.id === undefined) throw new Error('no function call');
    const second = await client.responses.create({
      model: 'openai',
      input: [{ role: 'user', content: 'Please call the tool for Paris' }, ref(call.id), { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21C' }],
      tools: [WEATHER],
    });
    expect(second.output_text).toBe('The tool said: sunny, 21C.');
    const sent = sentTo('openai').messages as Array<Record<string, unknown>>;
    expect(sent[1]).toMatchObject({ role: 'assistant', tool_calls: [{ id: call.call_id, function: { name: 'get_weather', arguments: call.arguments } }] });
    // Listed as the item it resolved to, under its own id.
    const listed = await client.responses.inputItems.list(second.id, { order: 'asc' });
    expect(listed.data[1]).toEqual({ id: call.id, type: 'function_call', status: 'completed', call_id: call.call_id, name: 'get_weather', arguments: call.arguments });
  });

  it('takes a referenced message, an output one and an input one (as input_items lists it), in the type-less form too', async () => {
    const first = await client.responses.create({ model: 'openai', input: 'Hi there' });
    const answer = first.output.find((o) => o.type === 'message');
    const [asked] = (await client.responses.inputItems.list(first.id)).data;
    if (answer?.type !== 'message' || asked === undefined) throw new Error('no message');
    for (const input of [[ref(asked.id), ref(answer.id)], [{ id: asked.id }, { id: answer.id }]] as OpenAI.Responses.ResponseInputItem[][]) {
      const second = await client.responses.create({ model: 'openai', input: [...input, { role: 'user', content: 'Once more' }] });
      expect(sentTo('openai').messages).toEqual([
        { role: 'user', content: 'Hi there' },
        { role: 'assistant', content: first.output_text },
        { role: 'user', content: 'Once more' },
      ]);
      const listed = await client.responses.inputItems.list(second.id, { order: 'asc' });
      expect(listed.data.map((item) => [item.id, item.type, 'role' in item ? item.role : undefined])).toEqual([
        [asked.id, 'message', 'user'],
        [answer.id, 'message', 'assistant'],
        [expect.stringMatching(/^msg_/), 'message', 'user'],
      ]);
    }
  });

  it.each(['whole', 'streamed'])('hands a referenced reasoning item of a %s response to the provider that wrote it, signature intact, and to nobody else', async (how) => {
    // No `include`: the stored Response keeps no encrypted content; the stored conversation has the signature.
    const asked = { model: 'bedrock', input: 'Think step by step: hello' };
    const first = how === 'whole' ? await client.responses.create(asked) : await client.responses.stream(asked).finalResponse();
    const ids = first.output.map((o) => o.id ?? '');
    expect(first.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Think step by step: hello' }, ...ids.map(ref), { role: 'user', content: 'Thanks' }];
    await client.responses.create({ model: 'bedrock', input, store: false });
    const resent = (sentTo('bedrock').messages as Array<{ content: unknown[] }>)[1]?.content;
    const signed = { reasoningContent: { reasoningText: { text: 'The user wrote "Think step by step: hello". A short friendly reply will do.', signature: expect.stringMatching(/.+/) } } };
    expect(resent).toEqual([signed, { text: expect.stringContaining('Hello') }]);
    const signature = (resent?.[0] as typeof signed).reasoningContent.reasoningText.signature as unknown as string;
    for (const elsewhere of ['openai', 'gemini']) {
      await client.responses.create({ model: elsewhere, input, store: false });
      const body = JSON.stringify(sentTo(elsewhere === 'gemini' ? 'vertex' : elsewhere));
      expect(body).toContain('Thanks');
      expect(body).not.toContain(signature);
      expect(body).not.toContain('A short friendly reply will do.');
    }
  });

  it("refuses another key's item, an unknown one, a deleted response's and an id not of the gateway's shape, in OpenAI's words", async () => {
    const first = await client.responses.create({ model: 'openai', input: 'Hi there' });
    const answer = first.output[0]?.id ?? '';
    const lastSent = sims.openai?.lastRequest;
    const create = (c: OpenAI, id: string): Promise<unknown> => c.responses.create({ model: 'openai', input: [ref(id), { role: 'user', content: 'Hi' }] });
    expect(await refusal(create(other, answer))).toEqual(itemNotFound(answer));
    const unknown = `msg_${'0'.repeat(32)}01`;
    expect(await refusal(create(client, unknown))).toEqual(itemNotFound(unknown));
    // A key pasted in place of an id is never quoted back.
    expect(await refusal(create(client, 'sk-live-secret'))).toEqual(itemNotFound(undefined));
    await client.responses.delete(first.id);
    expect(await refusal(create(client, answer))).toEqual(itemNotFound(answer));
    // Refused before any upstream was called.
    expect(sims.openai?.lastRequest).toBe(lastSent);
  });

  it('refuses a reference where response storage is disabled, saying why', async () => {
    const closed = new OpenAI({ baseURL: `${closedServer.url}/v1`, apiKey: 'key-one', maxRetries: 0 });
    const first = await closed.responses.create({ model: 'openai', input: 'Hi there' });
    const id = first.output[0]?.id ?? '';
    for (const [item, param] of [
      [ref(id), 'input[0].type'],
      [{ id }, 'input[0]'],
    ] as const) {
      const { status, error } = await refusal(closed.responses.create({ model: 'openai', input: [item] }));
      expect(status).toBe(400);
      expect(error).toMatchObject({ type: 'invalid_request_error', param, code: 'unsupported_item', message: expect.stringContaining('response storage is disabled') });
    }
  });
});
