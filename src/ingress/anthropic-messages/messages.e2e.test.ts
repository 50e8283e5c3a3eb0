import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import type { AttemptRecord } from '../../core/events.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../../sim/bedrock/index.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

/**
 * Every provider behind the door; `signed`: the upstream signs its thinking (Claude everywhere);
 * `counts`: the upstream counts tokens for free (OpenAI has no counter: the gateway estimates).
 */
const TARGETS = [
  { id: 'anthropic', model: 'claude-sonnet-4-6', signed: true, counts: true },
  { id: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', signed: true, counts: true },
  { id: 'vertex-claude', model: 'claude-sonnet-4-5@20250929', signed: true, counts: true },
  { id: 'gemini', model: 'gemini-2.5-flash', signed: false, counts: true },
  { id: 'openai', model: 'gpt-4o-mini', signed: false, counts: false },
] as const;

const LOOKUP = { name: 'lookup', description: 'Looks a query up.', input_schema: { type: 'object' as const, properties: { query: { type: 'string' } }, required: ['query'] } };
const KEY = 'sk-switchyard';
const EU_KEY = 'sk-switchyard-eu';
const CLAUDE_KEY = 'sk-switchyard-claude';
const PROJECT = 'door-project';

interface RawEvent {
  event: string;
  data: Record<string, unknown>;
}

/** The events of an SSE body, in order, with their JSON. */
function parseSse(text: string): RawEvent[] {
  return text
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((f) => {
      const event = /^event: (.*)$/m.exec(f)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(f)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

describe('the Anthropic Messages front door', () => {
  const sims: SimServer[] = [];
  let anthropicSim: SimServer;
  let bedrockSim: SimServer;
  let server: RunningServer;
  let client: Anthropic;
  const attempts: AttemptRecord[] = [];

  /** Anthropic's own request id shape, in the `request-id` header and error bodies. */
  const REQUEST_ID = expect.stringMatching(/^req_[0-9a-f]{32}$/);
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; text: string }> => {
    const res = await request(`${server.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', ...headers } });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [anthropic, bedrock, vertex, openai] = await Promise.all([
      startAnthropicSim({ apiKey: 'sk-ant' }),
      startBedrockSim({ region: 'us-east-1' }),
      startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
      startOpenAISim({ apiKey: 'sk-oa' }),
    ]);
    anthropicSim = anthropic;
    bedrockSim = bedrock;
    sims.push(anthropic, bedrock, vertex, openai);
    const gcp = { provider: 'vertex', project: PROJECT, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true };
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        api_keys: [
          { id: 'k', key: KEY },
          { id: 'eu', key: EU_KEY, residency: 'eu' },
          { id: 'claude-only', key: CLAUDE_KEY, models: ['claude'] },
        ],
        deployments: [
          { id: 'anthropic', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropic.url, api_key: 'sk-ant', tags: ['us'] },
          { id: 'anthropic-haiku', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: anthropic.url, api_key: 'sk-ant', tags: ['us'] },
          { id: 'anthropic-opus', provider: 'anthropic', model: 'claude-opus-4-7', endpoint: anthropic.url, api_key: 'sk-ant', tags: ['us'] },
          { id: 'bedrock', provider: 'bedrock', model: TARGETS[1].model, region: 'us-east-1', endpoint: bedrock.url, access_key_id: '${AWS_ID}', secret_access_key: '${AWS_SECRET}', tags: ['us'] },
          { id: 'vertex-claude', publisher: 'anthropic', model: TARGETS[2].model, ...gcp, region: 'us-east5', tags: ['us'] },
          { id: 'gemini', model: 'gemini-2.5-flash', ...gcp, tags: ['eu'] },
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-oa', region: 'us', tags: ['us'] },
        ],
        groups: [
          { name: 'claude', strategy: 'priority', deployments: ['anthropic-haiku', 'bedrock'] },
          { name: 'anywhere', strategy: 'priority', deployments: ['openai', 'gemini'] },
          { name: 'briefed', strategy: 'priority', deployments: ['anthropic-opus'], system_prompt: 'Always answer in plain English.' },
        ],
      },
      { AWS_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: account.json },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const gateway = createGateway(parsed.config, { observers: [{ onAttempt: (r) => attempts.push(r) }] });
    server = await startServer(gateway, { port: 0 });
    client = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all(sims.map((s) => s.close()));
  });

  beforeEach(() => {
    for (const s of sims) s.faults.clear();
  });

  describe.each(TARGETS)('routed to $id', (t) => {
    it('answers messages.create with a Messages API message', async () => {
      const m = await client.messages.create({ model: t.id, max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] });
      expect(m).toMatchObject({ type: 'message', role: 'assistant', model: t.id, stop_reason: 'end_turn', stop_sequence: null });
      expect(m.id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(m.content).toEqual([{ type: 'text', text: `Hello from ${t.model}! You said: hi.` }]);
      expect(m.usage.input_tokens).toBeGreaterThan(0);
      expect(m.usage.output_tokens).toBeGreaterThan(0);
    });

    it.runIf(t.signed)('names the stop sequence that fired among several, whole and streamed, as Claude does', async () => {
      // The answer is "Hello from <model>! You said: hi.": "said" fires, "never" does not.
      const body = { model: t.id, max_tokens: 64, stop_sequences: ['never', 'said'], messages: [{ role: 'user' as const, content: 'hi' }] };
      const m = await client.messages.create(body);
      expect(m).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'said' });
      expect(m.content).toEqual([{ type: 'text', text: `Hello from ${t.model}! You ` }]);
      const final = await client.messages.stream(body).finalMessage();
      expect(final).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'said' });
    });

    it('streams the same message, event by event in the documented order, as text/event-stream; charset=utf-8 as Anthropic sends it', async () => {
      const body = { model: t.id, max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
      const final = await client.messages.stream(body).finalMessage();
      expect(final.content).toEqual([{ type: 'text', text: `Hello from ${t.model}! You said: hi.` }]);
      expect(final.stop_reason).toBe('end_turn');
      expect(final.usage.input_tokens).toBeGreaterThan(0);
      const raw = await post('/v1/messages', { ...body, stream: true });
      expect(raw.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const names = parseSse(raw.text).map((e) => e.event);
      expect(names.join(' ')).toMatch(/^message_start content_block_start ping (content_block_delta )+content_block_stop message_delta message_stop$/);
      // A Claude upstream counts the prompt before the answer, and message_start says it, as Anthropic's does.
      const start = parseSse(raw.text)[0]?.data as { message: { usage: { input_tokens: number } } };
      if (t.id === 'anthropic' || t.id === 'vertex-claude') expect(start.message.usage.input_tokens).toBe(final.usage.input_tokens);
    });

    it("streams the upstream's input count in message_delta, which the SDK's stream helper reports, and a count in message_start", async () => {
      const body = { model: t.id, max_tokens: 64, messages: [{ role: 'user' as const, content: 'How many tokens is this prompt?' }] };
      const created = await client.messages.create(body);
      const final = await client.messages.stream(body).finalMessage();
      expect(final.usage.input_tokens).toBe(created.usage.input_tokens);
      const events = parseSse((await post('/v1/messages', { ...body, stream: true })).text);
      const start = events.find((e) => e.event === 'message_start')?.data as { message: { usage: { input_tokens: number } } };
      const delta = events.find((e) => e.event === 'message_delta')?.data as { usage: { input_tokens: number; cache_read_input_tokens: number } };
      expect(delta.usage).toMatchObject({ input_tokens: created.usage.input_tokens, cache_read_input_tokens: created.usage.cache_read_input_tokens });
      // Before the upstream's count, the gateway's estimate: a client reading only message_start never sees 0.
      expect(start.message.usage.input_tokens).toBeGreaterThan(0);
    });

    it('round-trips a tool call: tool_use out, tool_result back in', async () => {
      const first = await client.messages.create({ model: t.id, max_tokens: 64, tools: [LOOKUP], messages: [{ role: 'user', content: 'Please call the tool' }] });
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((b) => b.type === 'tool_use');
      if (use?.type !== 'tool_use') throw new Error('expected a tool_use block');
      expect(use).toMatchObject({ name: 'lookup', input: { query: 'Please call the tool' } });
      const streamed = await client.messages.stream({ model: t.id, max_tokens: 64, tools: [LOOKUP], messages: [{ role: 'user', content: 'Please call the tool' }] }).finalMessage();
      expect(streamed.content.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'lookup', input: { query: 'Please call the tool' } });
      const second = await client.messages.create({
        model: t.id,
        max_tokens: 64,
        tools: [LOOKUP],
        messages: [
          { role: 'user', content: 'Please call the tool' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
        ],
      });
      expect(second.content).toEqual([{ type: 'text', text: 'The tool said: sunny.' }]);
    });

    it(`answers with the thinking first${t.signed ? ', signed, whole and streamed' : ''}, and none to a client that did not enable thinking`, async () => {
      const plain = { model: t.id, max_tokens: 256, messages: [{ role: 'user' as const, content: 'think step by step: hi' }] };
      expect((await client.messages.create(plain)).content.map((b) => b.type)).not.toContain('thinking');
      const ask = { ...plain, max_tokens: 2048, thinking: { type: 'enabled' as const, budget_tokens: 1024 } };
      const m = await client.messages.create(ask);
      const thinking = m.content[0];
      if (thinking?.type !== 'thinking') throw new Error(`expected a thinking block first from ${t.id}`);
      expect(thinking.thinking).toMatch(/^The user wrote/);
      if (t.signed) expect(thinking.signature).not.toBe('');
      const streamed = await client.messages.stream(ask).finalMessage();
      expect(streamed.content[0]).toEqual(thinking);
      expect(streamed.content[1]).toEqual(m.content[1]);
    });

    it(t.counts ? 'counts tokens with the upstream counter, exactly as messages.create is billed' : 'counts tokens with the gateway estimate, saying so', async () => {
      const body = { model: t.id, system: 'Be brief.', messages: [{ role: 'user' as const, content: 'hello there' }], tools: [LOOKUP] };
      const counted = await client.messages.countTokens(body);
      expect(counted.input_tokens).toBeGreaterThan(0);
      const raw = await post('/v1/messages/count_tokens', body);
      expect([raw.status, JSON.parse(raw.text)]).toEqual([200, { input_tokens: counted.input_tokens }]);
      expect(raw.headers['x-request-id']).toMatch(/\S/);
      if (!t.counts) {
        expect(raw.headers['x-switchyard-estimated']).toBe('true');
        return;
      }
      expect(raw.headers).not.toHaveProperty('x-switchyard-estimated');
      expect(raw.headers['x-switchyard-deployment']).toBe(t.id);
      const created = await client.messages.create({ ...body, max_tokens: 64 });
      expect(counted.input_tokens).toBe(created.usage.input_tokens);
    });
  });

  it("counts with the group's system prompt, and refuses a model the key may not use exactly as messages does", async () => {
    const body = { model: 'briefed', messages: [{ role: 'user' as const, content: 'hello there' }] };
    const briefed = await client.messages.countTokens(body);
    expect(briefed.input_tokens).toBe((await client.messages.create({ ...body, max_tokens: 64 })).usage.input_tokens);
    const bare = await client.messages.countTokens({ ...body, model: 'anthropic' });
    expect(briefed.input_tokens - bare.input_tokens).toBe(Math.ceil('Always answer in plain English.'.length / 4));
    const asClaudeOnly = { 'x-api-key': CLAUDE_KEY };
    const counting = await post('/v1/messages/count_tokens', body, asClaudeOnly);
    const chatting = await post('/v1/messages', { ...body, max_tokens: 64 }, asClaudeOnly);
    const withoutId = (text: string): unknown => ({ ...(JSON.parse(text) as object), request_id: undefined });
    expect([counting.status, withoutId(counting.text)]).toEqual([403, withoutId(chatting.text)]);
  });

  it("passes a Claude refusal's stop_details on, whole and streamed, as the SDK types them", async () => {
    const body = { model: 'anthropic', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
    const details = { type: 'refusal', category: 'cyber', explanation: 'This request was declined by a safety classifier.' };
    anthropicSim.faults.add({ refusal_category: 'cyber', count: 2 });
    const m = await client.messages.create(body);
    expect(m).toMatchObject({ stop_reason: 'refusal', stop_sequence: null, stop_details: details });
    const final = await client.messages.stream(body).finalMessage();
    expect(final).toMatchObject({ stop_reason: 'refusal', stop_details: details });
    // Any other stop has none.
    expect((await client.messages.create(body)).stop_details).toBeNull();
  });

  it('relays an Anthropic upstream stream chunk by chunk as the API itself sends it', async () => {
    const body = { model: 'anthropic', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think step by step: hi' }], stream: true };
    const ours = parseSse((await post('/v1/messages', body)).text);
    const direct = await request(`${anthropicSim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...body, model: 'claude-sonnet-4-6' }),
    });
    const theirs = parseSse(await direct.body.text());
    expect(ours.map((e) => e.event)).toEqual(theirs.map((e) => e.event));
    // Block events carry the same JSON; only ids and the usage we can know only at the end differ.
    const blocks = (events: RawEvent[]): unknown[] => events.filter((e) => e.event.startsWith('content_block')).map((e) => e.data);
    expect(blocks(ours)).toEqual(blocks(theirs));
    expect(ours.find((e) => e.event === 'message_delta')?.data.delta).toEqual(theirs.find((e) => e.event === 'message_delta')?.data.delta);
  });

  it('asks a Claude upstream for thinking with the budget the client gave', async () => {
    const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
    const m = await client.messages.create({ model: 'anthropic', max_tokens: 2048, thinking, messages: [{ role: 'user', content: 'think step by step: hi' }] });
    expect(JSON.parse(anthropicSim.lastRequest?.body.toString() ?? '{}')).toMatchObject({ max_tokens: 2048, thinking });
    expect(m.content[0]).toMatchObject({ type: 'thinking', signature: expect.stringMatching(/.+/) });
    const refused = await client.messages.create({ model: 'anthropic', max_tokens: 1024, thinking, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((refused as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: must be greater than thinking.budget_tokens' },
      request_id: REQUEST_ID,
    });
  });

  it("takes Claude Code's adaptive thinking with output_config.effort, and a JSON schema in output_config.format", async () => {
    const m = await client.messages
      .stream({ model: 'anthropic', max_tokens: 32000, thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' }, messages: [{ role: 'user', content: 'think step by step: hi' }] })
      .finalMessage();
    // Claude Sonnet 4.6 takes adaptive thinking, and max but not xhigh (from Opus 4.7 on): xhigh is sent as high.
    expect(JSON.parse(anthropicSim.lastRequest?.body.toString() ?? '{}')).toMatchObject({ max_tokens: 32000, thinking: { type: 'adaptive' }, output_config: { effort: 'high' } });
    await client.messages.create({ model: 'anthropic', max_tokens: 4096, thinking: { type: 'adaptive' }, output_config: { effort: 'max' }, messages: [{ role: 'user', content: 'hi' }] });
    expect(JSON.parse(anthropicSim.lastRequest?.body.toString() ?? '{}')).toMatchObject({ output_config: { effort: 'max' } });
    expect(m.content[0]).toMatchObject({ type: 'thinking', signature: expect.stringMatching(/.+/) });
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    await client.messages.create({ model: 'openai', max_tokens: 64, output_config: { format: { type: 'json_schema', schema } }, messages: [{ role: 'user', content: 'A city?' }] });
    const sent = JSON.parse(sims[3]?.lastRequest?.body.toString() ?? '{}') as { response_format?: { json_schema?: { schema?: unknown } } };
    expect(sent.response_format?.json_schema?.schema).toEqual(schema);
  });

  it("takes exactly the thinking types the API documents: between_tools as thinking off, anything else a 400 in Anthropic shape naming thinking.type", async () => {
    const m = await client.messages.create({ model: 'anthropic', max_tokens: 256, thinking: { type: 'between_tools' }, messages: [{ role: 'user', content: 'think step by step: hi' }] });
    // Thinking is off: none asked of Claude, none answered.
    expect(JSON.parse(anthropicSim.lastRequest?.body.toString() ?? '{}')).not.toHaveProperty('thinking');
    expect(m.content.map((b) => b.type)).toEqual(['text']);
    const refused = async (thinking: unknown): Promise<unknown> => {
      const body = { model: 'anthropic', max_tokens: 256, thinking, messages: [{ role: 'user', content: 'hi' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming;
      const err = await client.messages.create(body).catch((e: unknown) => e);
      if (!(err instanceof Anthropic.BadRequestError)) throw new Error(`expected a 400, got ${String(err)}`);
      return err.error;
    };
    expect(await refused({ type: 'auto' })).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: "thinking.type: must be 'enabled', 'adaptive', 'disabled' or 'between_tools'" }, request_id: REQUEST_ID });
    expect(await refused({ type: 'between_tools', display: 'omitted' })).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'thinking.between_tools.display: Extra inputs are not permitted' }, request_id: REQUEST_ID });
  });

  it('sends signed thinking back to Claude unchanged in the next turn', async () => {
    const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
    const asked = { role: 'user' as const, content: 'think step by step: hi' };
    const first = await client.messages.create({ model: 'bedrock', max_tokens: 2048, thinking, messages: [asked] });
    const block = first.content[0];
    if (block?.type !== 'thinking') throw new Error('expected a thinking block first');
    const second = await client.messages.create({ model: 'bedrock', max_tokens: 2048, thinking, messages: [asked, { role: 'assistant', content: first.content }, { role: 'user', content: 'thanks' }] });
    expect(second.content.at(-1)).toMatchObject({ type: 'text', text: expect.stringContaining('You said: thanks.') });
    const sent = JSON.parse(bedrockSim.lastRequest?.body.toString() ?? '{}') as { messages: Array<{ content: unknown[] }> };
    expect(sent.messages[1]?.content[0]).toEqual({ reasoningContent: { reasoningText: { text: block.thinking, signature: block.signature } } });
  });

  it('carries cache_control marks to an Anthropic upstream and reports cache reads in usage', async () => {
    const system = [{ type: 'text' as const, text: `[cache] ${'Long shared context. '.repeat(40)}`, cache_control: { type: 'ephemeral' as const } }];
    await client.messages.create({ model: 'anthropic', max_tokens: 32, system, messages: [{ role: 'user', content: 'hi' }] });
    const sent = JSON.parse(anthropicSim.lastRequest?.body.toString() ?? '{}') as { system: unknown };
    expect(sent.system).toEqual(system);
    const again = await client.messages.create({ model: 'anthropic', max_tokens: 32, system, messages: [{ role: 'user', content: 'hi' }] });
    expect((again.usage.cache_read_input_tokens ?? 0) + (again.usage.cache_creation_input_tokens ?? 0)).toBeGreaterThan(0);
  });

  describe('automatic caching: a top-level cache_control from the official SDK', () => {
    const ask = (model: string, context: string): Anthropic.MessageCreateParamsNonStreaming => ({
      model,
      max_tokens: 32,
      cache_control: { type: 'ephemeral' },
      system: `${context} ${'Long shared context. '.repeat(40)}`,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const sentTo = (sim: SimServer | undefined): Record<string, unknown> => JSON.parse(sim?.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;

    it('reaches an Anthropic upstream as its own field, which writes the prompt to the cache and reads it on the next call', async () => {
      const first = await client.messages.create(ask('anthropic', 'Anthropic auto.'));
      expect(sentTo(anthropicSim).cache_control).toEqual({ type: 'ephemeral' });
      expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(0);
      const again = await client.messages.create(ask('anthropic', 'Anthropic auto.'));
      expect(again.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    });

    it('reaches Claude on Vertex as the same field', async () => {
      const m = await client.messages.create(ask('vertex-claude', 'Vertex auto.'));
      expect(m.stop_reason).toBe('end_turn');
      expect(sentTo(sims[2]).cache_control).toEqual({ type: 'ephemeral' });
    });

    it('reaches Bedrock as a cache point after the last block (Converse has no such field), which the cache reads', async () => {
      const res = await client.messages.create(ask('bedrock', 'Bedrock auto.')).withResponse();
      const sent = sentTo(bedrockSim) as { messages: Array<{ content: unknown[] }> };
      expect(sent).not.toHaveProperty('cache_control');
      expect(sent.messages.at(-1)?.content).toEqual([{ text: 'hi' }, { cachePoint: { type: 'default' } }]);
      expect(res.data.usage.cache_read_input_tokens).toBeGreaterThan(0);
      expect(res.response.headers.get('x-switchyard-warnings')).toBeNull();
    });

    it('is dropped with a warning by an upstream that caches on its own', async () => {
      const res = await client.messages.create(ask('openai', 'OpenAI auto.')).withResponse();
      expect(res.data.stop_reason).toBe('end_turn');
      expect(res.response.headers.get('x-switchyard-warnings')).toBe('cacheControl');
    });

    it('is refused as the API refuses it, in Anthropic shape, before any upstream: no slot left beside 4 breakpoints', async () => {
      const before = attempts.length;
      const marked = { type: 'ephemeral' as const };
      const system = ['a', 'b', 'c', 'd'].map((text) => ({ type: 'text' as const, text, cache_control: marked }));
      const err = await client.messages.create({ ...ask('bedrock', 'Full.'), system }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/^cache_control: A maximum of 4 blocks/) } });
      expect(attempts.length).toBe(before);
    });
  });

  it('takes the switchyard routing hint off the body, as every door does', async () => {
    const res = await post('/v1/messages', { model: 'claude', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], switchyard: { deployment: 'bedrock' } });
    expect([res.status, res.headers['x-switchyard-deployment']]).toEqual([200, 'bedrock']);
    expect(JSON.parse(bedrockSim.lastRequest?.body.toString() ?? '{}')).not.toHaveProperty('switchyard');
  });

  it('accepts x-api-key and bearer keys, echoes anthropic-version, ignores betas, and refuses a bad key in Anthropic shape', async () => {
    const body = { model: 'openai', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
    const ok = await post('/v1/messages', body, { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'some-future-beta-2030-01-01' });
    expect(ok.status).toBe(200);
    expect(ok.headers['anthropic-version']).toBe('2023-06-01');
    expect((await post('/v1/messages', body, { 'x-api-key': '', authorization: `Bearer ${KEY}` })).status).toBe(200);
    const bad = await post('/v1/messages', body, { 'x-api-key': 'sk-wrong' });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.text)).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) }, request_id: REQUEST_ID });
    expect(bad.headers['request-id']).toBe(JSON.parse(bad.text).request_id);
  });

  it('refuses bad input before the first byte with a 400 in Anthropic shape, naming the parameter', async () => {
    const err = await client.messages.create({ model: 'anthropic', messages: [{ role: 'user', content: 'hi' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' }, request_id: REQUEST_ID });
    for (const body of [
      { model: 'anthropic', max_tokens: 8, messages: [{ role: 'robot', content: 'hi' }] },
      { model: 'anthropic', max_tokens: 8, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] },
      { model: 'anthropic', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      { model: 'anthropic', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], frobnicate: true },
      '[not json',
    ]) {
      const res = await request(`${server.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      expect(res.statusCode).toBe(400);
      expect(((await res.body.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    }
  });

  it('answers an upstream failure before the first byte with its status in Anthropic shape', async () => {
    anthropicSim.faults.add({ model: 'claude-sonnet-4-6', status: 429, error: 'rate_limit_error', retry_after_s: 0 });
    const limited = await client.messages.create({ model: 'anthropic', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    anthropicSim.faults.add({ model: 'claude-sonnet-4-6', status: 500, error: 'api_error' });
    const failed = await post('/v1/messages', { model: 'anthropic', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(failed.status).toBe(502);
    expect(JSON.parse(failed.text)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    // An overload is Anthropic's own 529, which its SDK raises as OverloadedError.
    anthropicSim.faults.add({ model: 'claude-sonnet-4-6', status: 529, error: 'overloaded_error' });
    const overloaded = await client.messages.create({ model: 'anthropic', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.OverloadedError);
    expect((overloaded as InstanceType<typeof Anthropic.OverloadedError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' }, request_id: REQUEST_ID });
    expect((overloaded as InstanceType<typeof Anthropic.OverloadedError>).requestID).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('tells the SDK with x-should-retry not to retry what no retry mends, and to retry what may pass', async () => {
    const retrying = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 1 });
    const ask = { model: 'anthropic', max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };
    const before = anthropicSim.stats.total;
    // The deployment's own key refused: a 502 the SDK would retry by its status.
    anthropicSim.faults.add({ model: 'claude-sonnet-4-6', status: 401, error: 'authentication_error' });
    const refused = await retrying.messages.create(ask).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.InternalServerError);
    expect((refused as InstanceType<typeof Anthropic.InternalServerError>).headers.get('x-should-retry')).toBe('false');
    expect(anthropicSim.stats.total - before).toBe(1);
    anthropicSim.faults.clear();
    anthropicSim.faults.add({ model: 'claude-sonnet-4-6', status: 529, error: 'overloaded_error', count: 1 });
    await expect(retrying.messages.create(ask)).resolves.toMatchObject({ type: 'message' });
  });

  it('answers a path of its own that no route takes in Anthropic shape: 405 for a wrong method, 404 for an unknown path', async () => {
    const wrongMethod = await request(`${server.url}/v1/messages`, { method: 'GET', headers: { 'x-api-key': KEY } });
    expect(wrongMethod.statusCode).toBe(405);
    expect(await wrongMethod.body.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'Method GET is not allowed on /v1/messages.' }, request_id: REQUEST_ID });
    const unknown = await post('/v1/messages/batches', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(unknown.headers['request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("names every answer with Anthropic's request-id, which the SDK reads", async () => {
    const m = await client.messages.create({ model: 'anthropic', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(m._request_id).toMatch(/^req_[0-9a-f]{32}$/);
    const streamed = await post('/v1/messages', { model: 'anthropic', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(streamed.headers['request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('ends a stream that breaks after its first byte with an SSE error event, which the SDK raises', async () => {
    anthropicSim.faults.add({ model: 'claude-sonnet-4-6', stream_error_after_chunks: 2, count: 2 });
    const body = { model: 'anthropic', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi there friend' }] };
    const raw = parseSse((await post('/v1/messages', { ...body, stream: true })).text);
    expect(raw[0]?.event).toBe('message_start');
    expect(raw.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: expect.stringMatching(/_error$/), message: expect.stringContaining('anthropic') } } });
    expect(raw.map((e) => e.event)).not.toContain('message_stop');
    await expect(client.messages.stream(body).finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
  });

  it('fails over and keeps residency exactly as the OpenAI door does, recording which door was used', async () => {
    const ask = (path: string, key: string, model: string, body: object): Promise<{ status: number; headers: Record<string, unknown>; text: string }> =>
      post(path, { model, ...body }, { 'x-api-key': '', authorization: `Bearer ${key}` });
    const doors = [
      ['/v1/messages', { max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }],
      ['/v1/chat/completions', { max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }],
    ] as const;
    for (const [path, body] of doors) {
      anthropicSim.faults.add({ model: 'claude-haiku-4-5', status: 529, error: 'overloaded_error', count: 1 });
      const failover = await ask(path, KEY, 'claude', body);
      expect([path, failover.status, failover.headers['x-switchyard-deployment'], failover.headers['x-switchyard-attempts']]).toEqual([path, 200, 'bedrock', '2']);
      const eu = await ask(path, EU_KEY, 'anywhere', body);
      expect([path, eu.status, eu.headers['x-switchyard-deployment']]).toEqual([path, 200, 'gemini']);
    }
    const byDoor = attempts.filter((a) => a.tags.key === 'eu').map((a) => a.tags.ingress);
    expect(byDoor).toEqual(['anthropic-messages', 'openai-chat']);
  });
});
