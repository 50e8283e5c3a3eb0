import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { CallContext, Provider } from '../../core/provider.js';
import { textOf, type Message, type StreamPart } from '../../core/types.js';
import { parseConfig } from '../../config/load.js';
import type { SimServer } from '../../sim/server.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import { createSimServiceAccount, type SimServiceAccount } from '../../sim/vertex/credentials.js';
import { vertex, type VertexOptions } from './index.js';
import { VertexProvider } from './provider.js';
import { vertexModelUrl } from './urls.js';

const PROJECT = 'unit-project';
const ctx = (): CallContext => ({ signal: new AbortController().signal, requestId: 'test' });
const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });
const system = (text: string): Message => ({ role: 'system', content: [{ type: 'text', text }] });

function parse(deployment: Record<string, unknown>, env: Record<string, string> = {}): ReturnType<typeof parseConfig> {
  return parseConfig({ deployments: [{ id: 'v', provider: 'vertex', model: 'gemini-2.5-flash', ...deployment }] }, env);
}

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!GatewayError.isInstance(err)) throw new Error(`expected a GatewayError, got ${String(err)}`);
  return err;
}

describe('vertex urls and options', () => {
  it('uses the regional host, the bare host for global, the rep host for the us and eu multi-regions, and an endpoint override as given', () => {
    const t = { project: 'p', location: 'europe-west4', publisher: 'google' as const, model: 'gemini-2.5-flash' };
    expect(vertexModelUrl(t, 'generateContent').href).toBe('https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(vertexModelUrl({ ...t, location: 'global' }, 'streamGenerateContent?alt=sse').href).toBe(
      'https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
    for (const location of ['us', 'eu']) expect(vertexModelUrl({ ...t, location }, 'generateContent').host).toBe(`aiplatform.${location}.rep.googleapis.com`);
    expect(vertexModelUrl({ ...t, publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929', endpoint: 'https://psc.internal:8443/' }, 'rawPredict').href).toBe(
      'https://psc.internal:8443/v1/projects/p/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict',
    );
  });

  it('takes the location from the deployment region and names the problems of a bad config', () => {
    const ok = parse({ project: 'p', region: 'us-central1' });
    expect(ok.ok && (ok.config.deployments[0]?.options as VertexOptions).location).toBe('us-central1');
    const missing = parse({ project: 'p' });
    expect(!missing.ok && missing.problems.map((p) => p.path)).toEqual(['deployments[0].location']);
    const badJson = parse({ project: 'p', location: 'global', credentials_file: '${SA}' }, { SA: 'not json at all' });
    expect(!badJson.ok && badJson.problems).toEqual([{ path: 'deployments[0].credentials_file', message: 'expected Google credentials JSON with a "type" field' }]);
    expect(parse({ location: 'global' }).ok).toBe(false);
  });

  it('refuses credentials check-config can tell will never sign: a path without file:, a service account key that is no PEM key', () => {
    const problems = (sa: string) => {
      const parsed = parse({ project: 'p', location: 'global', credentials_file: '${SA}' }, { SA: sa });
      return !parsed.ok && parsed.problems;
    };
    expect(problems('/etc/gcp/sa.json')).toEqual([{ path: 'deployments[0].credentials_file', message: 'expected Google credentials JSON; this looks like a path: write file:<path> to read the file' }]);
    const account = { type: 'service_account', project_id: 'p', client_email: 'x@p.iam.gserviceaccount.com' };
    expect(problems(JSON.stringify({ ...account, private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }))).toEqual([
      { path: 'deployments[0].credentials_file', message: 'the service account\'s "private_key" is not a PEM private key' },
    ]);
    expect(problems(JSON.stringify(account))).toEqual([{ path: 'deployments[0].credentials_file', message: 'the service account JSON has no "private_key"' }]);
    // Other credential types (an external account, authorized user) carry no key to check.
    expect(problems(JSON.stringify({ type: 'external_account', audience: 'a' }))).toBe(false);
  });
});

describe('vertex provider against the simulator', () => {
  let sim: SimServer;
  let account: SimServiceAccount;
  const providers: Provider[] = [];

  const make = (deployment: Record<string, unknown>, key: SimServiceAccount = account): Provider => {
    const parsed = parse({ project: PROJECT, region: 'europe-west4', endpoint: sim.url, credentials_file: '${SA}', self_signed_jwt: true, ...deployment }, { SA: key.json });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0];
    if (!d) throw new Error('no deployment');
    const p = vertex.create(d, d.options as VertexOptions, { logger: silentLogger });
    providers.push(p);
    return p;
  };

  beforeAll(async () => {
    account = createSimServiceAccount(PROJECT);
    sim = await startVertexSim({ publicKey: account.publicKey, project: PROJECT });
  });

  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await sim?.close();
  });

  it('signs a JWT the simulator verifies; a foreign key is an authentication error', async () => {
    const r = await make({}).chat({ model: 'x', messages: [user('hi')] }, ctx());
    expect(textOf(r.content)).toContain('You said: hi');
    const err = await failure(make({}, createSimServiceAccount(PROJECT)).chat({ model: 'x', messages: [user('hi')] }, ctx()));
    expect([err.kind, err.upstreamStatus]).toEqual(['authentication', 401]);
  });

  it('sends the attempt\'s traceparent and tracestate upstream with the access token, and none when there is none', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const tracestate = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
    const p = make({});
    await p.chat({ model: 'x', messages: [user('hi')] }, { ...ctx(), traceparent, tracestate });
    expect(sim.lastRequest?.headers).toMatchObject({ traceparent, tracestate, authorization: expect.stringMatching(/^Bearer /) as unknown });
    await p.chat({ model: 'x', messages: [user('hi')] }, ctx());
    expect(sim.lastRequest?.headers.traceparent).toBeUndefined();
    expect(sim.lastRequest?.headers.tracestate).toBeUndefined();
  });

  it('stops waiting for a Google token that does not come when the client leaves, its cancellation unsent, and sends nothing once it does', async () => {
    const parsed = parse({ project: PROJECT, region: 'europe-west4', endpoint: sim.url });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0]!;
    let arrive: (headers: Record<string, string>) => void = () => undefined;
    const slow = new Promise<Record<string, string>>((resolve) => (arrive = resolve));
    const p = new VertexProvider(d, d.options as VertexOptions, { headers: () => slow });
    providers.push(p);
    const before = sim.stats.total;
    for (const call of [(c: CallContext) => p.chat({ model: 'x', messages: [user('hi')] }, c), (c: CallContext) => p.stream({ model: 'x', messages: [user('hi')] }, c)]) {
      const client = new AbortController();
      const pending = call({ signal: client.signal, requestId: 'test' });
      await new Promise((r) => setTimeout(r, 20));
      client.abort(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
      await expect(pending).rejects.toMatchObject({ kind: 'cancelled', unsent: true });
    }
    arrive({ authorization: 'Bearer late' });
    await new Promise((r) => setTimeout(r, 50));
    expect(sim.stats.total).toBe(before);
  });

  it('reports cached content tokens inside the prompt', async () => {
    const r = await make({}).chat({ model: 'x', messages: [system('[cache] a long shared preamble'), user('hi there, how are you today?')] }, ctx());
    expect(r.usage.cachedRead).toBeGreaterThan(0);
    expect(r.usage.prompt).toBeGreaterThan(r.usage.cachedRead);
  });

  it('maps a SAFETY finish to content_filter and keeps the safety ratings', async () => {
    sim.faults.add({ error: 'SAFETY', count: 1 });
    const r = await make({}).chat({ model: 'x', messages: [user('risky')] }, ctx());
    expect(r.finishReason).toBe('content_filter');
    expect(r.providerMetadata?.vertex?.safetyRatings).toEqual([expect.objectContaining({ blocked: true })]);
  });

  it('raises a malformed function call as a retryable upstream error', async () => {
    sim.faults.add({ error: 'MALFORMED_FUNCTION_CALL', count: 1 });
    const err = await failure(make({}).chat({ model: 'x', messages: [user('call')] }, ctx()));
    expect([err.kind, err.retryable]).toEqual(['upstream_error', true]);
  });

  it('carries the RetryInfo delay of a 429', async () => {
    sim.faults.add({ status: 429, error: 'RESOURCE_EXHAUSTED', retry_after_s: 2, count: 1 });
    const err = await failure(make({}).chat({ model: 'x', messages: [user('hi')] }, ctx()));
    expect([err.kind, err.retryAfterMs]).toEqual(['rate_limited', 2000]);
  });

  it('rejects the stream promise on an HTTP error, and fails the iterator on a cut stream', async () => {
    sim.faults.add({ status: 503, error: 'UNAVAILABLE', count: 1 });
    expect((await failure(make({}).stream({ model: 'x', messages: [user('hi')] }, ctx()))).kind).toBe('unavailable');
    // A short gap lets the first chunks reach the socket before the simulator cuts it.
    sim.faults.add({ cut_after_chunks: 2, inter_chunk_ms: 5, count: 1 });
    const parts = await make({}).stream({ model: 'x', messages: [user('a fairly long answer please')] }, ctx());
    const seen: StreamPart[] = [];
    const err = await failure(
      (async () => {
        for await (const p of parts) seen.push(p);
      })(),
    );
    expect(err.kind).toBe('network');
    expect(seen.filter((p) => p.type === 'text').length).toBeGreaterThan(0);
    expect(seen.some((p) => p.type === 'finish')).toBe(false);
  });

  it('round-trips a tool call with thinking on, reporting what Gemini could not take as warnings', async () => {
    const p = make({});
    const tools = [{ name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } }];
    const ask = user('Please call the tool for cats');
    const first = await p.chat({ model: 'x', messages: [ask], tools, parallelToolCalls: false, reasoning: { enabled: true, effort: 'low' } }, ctx());
    const sent = JSON.parse(sim.lastRequest?.body.toString('utf8') ?? '{}') as { generationConfig?: unknown };
    expect(sent.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } });
    expect(first.finishReason).toBe('tool_calls');
    expect(first.warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'parallelToolCalls' })]);
    const call = first.content.find((c) => c.type === 'tool-call');
    if (call?.type !== 'tool-call') throw new Error('expected a tool call');
    expect(JSON.parse(call.arguments)).toEqual({ query: 'Please call the tool for cats' });
    const second = await p.chat({ model: 'x', tools, messages: [ask, { role: 'assistant', content: first.content }, { role: 'tool', toolCallId: call.id, content: [{ type: 'text', text: 'cats are great' }] }] }, ctx());
    expect(textOf(second.content)).toContain('The tool said: cats are great');
  });

  it('answers a conversation that opens with an assistant greeting or a seeded tool call, which Gemini refuses as sent, by opening it with a user turn', async () => {
    const p = make({});
    const tools = [{ name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } }];
    const greeted = await p.chat({ model: 'x', messages: [system('Be brief.'), { role: 'assistant', content: [{ type: 'text', text: 'Hello, how can I help?' }] }, user('hi')] }, ctx());
    expect(textOf(greeted.content)).toContain('You said: hi');
    const sent = (): Array<{ role: string }> => (JSON.parse(sim.lastRequest?.body.toString('utf8') ?? '{}') as { contents: Array<{ role: string }> }).contents;
    expect(sent().map((c) => c.role)).toEqual(['user', 'model', 'user']);
    const seeded: Message[] = [{ role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'lookup', arguments: '{"query":"cats"}' }] }, { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'cats are great' }] }];
    const parts: StreamPart[] = [];
    for await (const part of await p.stream({ model: 'x', tools, messages: seeded }, ctx())) parts.push(part);
    expect(parts.filter((part) => part.type === 'text').map((part) => (part.type === 'text' ? part.delta : '')).join('')).toContain('The tool said: cats are great');
    expect(sent()[0]).toEqual({ role: 'user', parts: [{ text: '.' }] });
  });

  it('streams thoughts as Google reasoning after a start part that carries the warnings', async () => {
    const parts: StreamPart[] = [];
    for await (const part of await make({}).stream({ model: 'x', messages: [user('think step by step: hi')], parallelToolCalls: false }, ctx())) parts.push(part);
    expect(parts[0]).toMatchObject({ type: 'start', warnings: [expect.objectContaining({ setting: 'parallelToolCalls' })] });
    const reasoning = parts.filter((p) => p.type === 'reasoning');
    expect(reasoning.length).toBeGreaterThan(0);
    expect(reasoning.every((p) => p.provider === 'google')).toBe(true);
    expect(parts.some((p) => p.type === 'text')).toBe(true);
  });

  it('sends gemini-embedding-001 one text per :predict call and text-embedding-005 in one call', async () => {
    const before = sim.stats.requests['POST google:predict'] ?? 0;
    const one = await make({ model: 'gemini-embedding-001' }).embed({ model: 'e', input: ['a', 'bb', 'ccc'], dimensions: 4 }, ctx());
    expect(one.embeddings.map((e) => e.length)).toEqual([4, 4, 4]);
    expect(one.usage.prompt).toBe(3);
    expect((sim.stats.requests['POST google:predict'] ?? 0) - before).toBe(3);
    const many = await make({ model: 'text-embedding-005' }).embed({ model: 'e', input: ['a', 'bb', 'ccc'] }, ctx());
    expect(many.embeddings).toHaveLength(3);
    expect((sim.stats.requests['POST google:predict'] ?? 0) - before).toBe(4);
  });

  it('refuses token ids before calling :predict, which takes text only: a fallbackable, unsent 400 naming input', async () => {
    const before = sim.stats.requests['POST google:predict'] ?? 0;
    const err = await make({ model: 'text-embedding-005' }).embed({ model: 'e', tokens: [[1212, 318]] }, ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid_request', status: 400, param: 'input', fallbackable: true, unsent: true, message: expect.stringContaining('Vertex AI embeds text only') as unknown });
    expect((sim.stats.requests['POST google:predict'] ?? 0) - before).toBe(0);
  });

  it('probes with the free token counters: countTokens for Gemini, count-tokens:rawPredict for Claude', async () => {
    await make({}).probe(ctx());
    expect(sim.stats.requests['POST google:countTokens']).toBe(1);
    await make({ publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929' }).probe(ctx());
    expect(sim.stats.requests['POST anthropic:rawPredict']).toBe(1);
  });

  it('speaks the Anthropic wire to Claude, whose own errors map through the Anthropic taxonomy', async () => {
    const claude = make({ publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929' });
    const r = await claude.chat({ model: 'x', messages: [system('[cache] shared'), user('hi')] }, ctx());
    expect(textOf(r.content)).toContain('You said: hi');
    expect(r.usage.cachedRead).toBeGreaterThan(0);
    sim.faults.add({ status: 529, error: 'overloaded_error', count: 1 });
    expect((await failure(claude.chat({ model: 'x', messages: [user('hi')] }, ctx()))).kind).toBe('overloaded');
    expect((await failure(claude.embed({ model: 'x', input: ['a'] }, ctx()))).kind).toBe('invalid_request');
  });

  it('refuses, before sending, a prefill to a Claude model that takes none, and sends it to one that continues it', async () => {
    const prefilled = { model: 'x', messages: [user('hi'), { role: 'assistant' as const, content: [{ type: 'text' as const, text: 'Hello from' }] }] };
    const before = sim.stats.requests['POST anthropic:rawPredict'] ?? 0;
    expect(await failure(make({ publisher: 'anthropic', model: 'claude-opus-4-6' }).chat(prefilled, ctx()))).toMatchObject({ kind: 'invalid_request', param: 'messages[1]', fallbackable: true, unsent: true });
    expect(sim.stats.requests['POST anthropic:rawPredict'] ?? 0).toBe(before);
    const r = await make({ publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929' }).chat(prefilled, ctx());
    expect(textOf(r.content)).not.toContain('Hello from');
  });

  it('reports what the Messages API could not take from a request to Claude, answered or streamed', async () => {
    const claude = make({ publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929' });
    const r = await claude.chat({ model: 'x', messages: [user('hi')], seed: 7 }, ctx());
    expect(r.warnings).toEqual([expect.objectContaining({ setting: 'seed' })]);
    const parts: StreamPart[] = [];
    for await (const part of await claude.stream({ model: 'x', messages: [user('hi')], temperature: 1.5 }, ctx())) parts.push(part);
    expect(parts[0]).toMatchObject({ type: 'start', warnings: [expect.objectContaining({ setting: 'temperature' })] });
  });
  it("counts Gemini tokens with :countTokens: the generateContent body less toolConfig, as generateContent bills it", async () => {
    const gemini = make({});
    const request = {
      model: 'x',
      messages: [system('Be brief.'), user('count these words')],
      tools: [{ name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } }],
      toolChoice: { type: 'required' as const },
      maxOutputTokens: 64,
    };
    const counted = await gemini.countTokens?.(request, ctx());
    expect(sim.lastRequest?.path).toBe(`/v1/projects/${PROJECT}/locations/europe-west4/publishers/google/models/gemini-2.5-flash:countTokens`);
    expect(Object.keys(JSON.parse(sim.lastRequest?.body.toString('utf8') ?? '{}') as object).sort()).toEqual(['contents', 'generationConfig', 'systemInstruction', 'tools']);
    expect(counted).toBe((await gemini.chat(request, ctx())).usage.prompt);
  });

  it('counts Claude tokens with count-tokens:rawPredict, naming the model in the body, as rawPredict bills it', async () => {
    const claude = make({ publisher: 'anthropic', model: 'claude-sonnet-4-5@20250929' });
    const request = { model: 'x', messages: [system('Be brief.'), user('count these words')], maxOutputTokens: 64, temperature: 0.5 };
    const counted = await claude.countTokens?.(request, ctx());
    expect(sim.lastRequest?.path).toBe(`/v1/projects/${PROJECT}/locations/europe-west4/publishers/anthropic/models/count-tokens:rawPredict`);
    const sent = JSON.parse(sim.lastRequest?.body.toString('utf8') ?? '{}') as Record<string, unknown>;
    expect(sent).toEqual({ model: 'claude-sonnet-4-5@20250929', anthropic_version: 'vertex-2023-10-16', system: 'Be brief.', messages: [{ role: 'user', content: [{ type: 'text', text: 'count these words' }] }] });
    expect(counted).toBe((await claude.chat(request, ctx())).usage.prompt);
  });

  it('maps a refused count like a refused call: another project is a permission error', async () => {
    const elsewhere = make({ project: 'someone-elses' });
    expect((await failure(elsewhere.countTokens?.({ model: 'x', messages: [user('hi')] }, ctx()) ?? Promise.resolve())).kind).toBe('permission');
  });
});
