import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { parseConfig } from '../../config/load.js';
import type { DeploymentConfig } from '../../config/schema.js';
import { GatewayError } from '../../core/errors.js';
import type { CallContext } from '../../core/provider.js';
import { textOf, type ChatRequest, type StreamPart } from '../../core/types.js';
import type { SimServer } from '../../sim/server.js';
import { startAzureSim } from '../../sim/azure/index.js';
import { AzureOpenAIProvider, type AzureOpenAIOverrides } from './provider.js';
import type { AzureOpenAIOptions } from './options.js';

const KEY = 'az-provider-key';
let sim: SimServer;
let validTokens: Set<string>;
const seenTokens: string[] = [];
const open: AzureOpenAIProvider[] = [];

beforeAll(async () => {
  validTokens = new Set();
  sim = await startAzureSim({
    apiKey: KEY,
    acceptToken: (t) => {
      seenTokens.push(t);
      return validTokens.has(t);
    },
  });
});
afterEach(async () => {
  sim.faults.clear();
  await Promise.all(open.splice(0).map((p) => p.close()));
});
afterAll(() => sim.close());

const ctx = (): CallContext => ({ signal: new AbortController().signal, requestId: 'r1' });
const ask = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'ignored', messages: [{ role: 'user', content: [{ type: 'text', text }] }], ...extra });

function provider(extra: Record<string, unknown>, overrides: AzureOpenAIOverrides = {}): AzureOpenAIProvider {
  const r = parseConfig({ deployments: [{ id: 'az', provider: 'azure-openai', model: 'gpt-4o', endpoint: sim.url, ...extra }] }, {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const d = r.config.deployments[0] as DeploymentConfig;
  const p = new AzureOpenAIProvider(d, d.options as AzureOpenAIOptions, overrides);
  open.push(p);
  return p;
}

/** A stand-in for an @azure/identity credential: hands out tokens the simulator was told to accept. */
function fakeCredential(): TokenCredential & { calls: string[] } {
  let n = 0;
  const calls: string[] = [];
  return {
    calls,
    getToken(scope): Promise<AccessToken> {
      calls.push(String(scope));
      const token = `entra-${++n}`;
      validTokens.add(token);
      return Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const p of parts) out.push(p);
  return out;
}

const fail = (p: Promise<unknown>): Promise<GatewayError> => p.then(() => Promise.reject(new Error('expected a failure')), (e: unknown) => e as GatewayError);

describe('AzureOpenAIProvider with Entra ID', () => {
  it('sends a cached bearer token from the credential, which the simulator verifies', async () => {
    const credential = fakeCredential();
    const p = provider({ auth: { type: 'entra', credential: 'managed_identity' } }, { credential });
    for (let i = 0; i < 3; i++) expect(textOf((await p.chat(ask('hi'), ctx())).content)).toContain('You said: hi');
    expect(credential.calls).toEqual(['https://cognitiveservices.azure.com/.default']);
    expect(seenTokens.slice(-3)).toEqual(['entra-1', 'entra-1', 'entra-1']);
  });

  it('fetches a new token after the upstream rejects the cached one with 401', async () => {
    const credential = fakeCredential();
    const p = provider({ auth: { type: 'entra', credential: 'default' } }, { credential });
    await p.chat(ask('hi'), ctx());
    validTokens.clear(); // revoked
    const err = await fail(p.chat(ask('hi'), ctx()));
    expect(err.kind).toBe('authentication');
    expect(textOf((await p.chat(ask('again'), ctx())).content)).toContain('again');
    expect(credential.calls).toHaveLength(2);
  });

  it('uses Entra ID by default when the deployment has no api_key', async () => {
    const credential = fakeCredential();
    const p = provider({ api: 'v1' }, { credential });
    await p.chat(ask('v1 via entra'), ctx());
    expect(credential.calls).toHaveLength(1);
  });
});

describe('AzureOpenAIProvider with an api key', () => {
  it('authenticates with the api-key header on both URL styles and the deployment name', async () => {
    const before = seenTokens.length;
    const dep = provider({ api_key: KEY, deployment_name: 'gpt-4o', model: 'gpt-4o-2024-08-06' });
    const v1 = provider({ api_key: KEY, api: 'v1' });
    expect((await dep.chat(ask('a'), ctx())).model).toBe('gpt-4o-2024-08-06');
    expect(textOf((await v1.chat(ask('b'), ctx())).content)).toContain('You said: b');
    expect(seenTokens.length).toBe(before); // no bearer was sent
  });

  it('sends the attempt\'s traceparent and tracestate upstream with the api key, and none when there is none', async () => {
    const p = provider({ api_key: KEY });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const tracestate = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
    await collect(await p.stream(ask('t'), { ...ctx(), traceparent, tracestate }));
    expect(sim.lastRequest?.headers).toMatchObject({ traceparent, tracestate, 'api-key': KEY });
    await p.chat(ask('u'), ctx());
    expect(sim.lastRequest?.headers.traceparent).toBeUndefined();
    expect(sim.lastRequest?.headers.tracestate).toBeUndefined();
  });

  it("limits output with max_completion_tokens, which Azure's reasoning models require", async () => {
    await provider({ api_key: KEY }).chat(ask('short', { maxOutputTokens: 16 }), ctx());
    const body = JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;
    expect(body.max_completion_tokens).toBe(16);
    expect(body).not.toHaveProperty('max_tokens');
  });

  it('answers without topK, which Azure does not take, and says so in a warning', async () => {
    const p = provider({ api_key: KEY });
    const r = await p.chat(ask('hi', { topK: 5 }), ctx());
    expect(r.warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'topK' })]);
    const parts = await collect(await p.stream(ask('hi', { topK: 5 }), ctx()));
    expect(parts[0]).toMatchObject({ type: 'start', warnings: [{ setting: 'topK' }] });
  });

  it("drops the settings a reasoning model refuses, judged by the deployment's model and not its freely chosen name", async () => {
    const r = await provider({ api_key: KEY, deployment_name: 'gpt-4o', model: 'o4-mini' }).chat(ask('hi', { temperature: 0.2, stopSequences: ['END'] }), ctx());
    const body = JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('stop');
    expect(r.warnings).toEqual([expect.objectContaining({ setting: 'temperature' }), expect.objectContaining({ setting: 'stopSequences' })]);
  });

  it('never sends an empty tools list, which Azure refuses ([] is too short): no tools, tool_choice or parallel_tool_calls without a tool', async () => {
    const p = provider({ api_key: KEY });
    const bare = ask('hi', { tools: [], toolChoice: { type: 'auto' }, parallelToolCalls: false });
    expect(textOf((await p.chat(bare, ctx())).content)).toContain('You said: hi');
    const sent = JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;
    expect(Object.keys(sent).filter((k) => ['tools', 'tool_choice', 'parallel_tool_calls'].includes(k))).toEqual([]);
    const parts = await collect(await p.stream(bare, ctx()));
    expect(parts.find((part) => part.type === 'finish')).toEqual({ type: 'finish', finishReason: 'stop' });
    expect(JSON.parse(sim.lastRequest?.body.toString() ?? '{}')).not.toHaveProperty('tools');
  });

  it("streams a tool call whose first chunk carries the role and the call together, as Azure sends it", async () => {
    const tools = [{ name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } }];
    const parts = await collect(await provider({ api_key: KEY }).stream(ask('call the tool', { tools }), ctx()));
    const calls = parts.flatMap((part) => (part.type === 'tool-call' ? [part] : []));
    const args = calls.map((part) => part.argumentsDelta).join('');
    expect(calls[0]).toMatchObject({ index: 0, id: expect.any(String), name: 'lookup' });
    expect(new Set(calls.map((part) => part.index))).toEqual(new Set([0]));
    expect(JSON.parse(args)).toEqual({ query: 'call the tool' });
    expect(parts.find((part) => part.type === 'finish')).toEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('maps a wrong key to authentication', async () => {
    const err = await fail(provider({ api_key: 'bad-key-zz9' }).chat(ask('x'), ctx()));
    expect(err.kind).toBe('authentication');
    expect(err.upstreamStatus).toBe(401);
    expect(err.message).not.toContain('bad-key-zz9');
  });

  it('keeps prompt and output filter results as azure provider metadata', async () => {
    const r = await provider({ api_key: KEY }).chat(ask('hi'), ctx());
    expect(r.providerMetadata?.azure).toHaveProperty('prompt_filter_results.0.content_filter_results.jailbreak.detected', false);
    expect(r.providerMetadata?.azure).toHaveProperty('content_filter_results.violence.filtered', false);
  });

  it('reports finish_reason content_filter with the filter results when the output is filtered', async () => {
    sim.faults.add({ error: 'content_filter_output', count: 1 });
    const r = await provider({ api_key: KEY }).chat(ask('a long story please'), ctx());
    expect(r.finishReason).toBe('content_filter');
    expect(r.providerMetadata?.azure).toHaveProperty('content_filter_results.violence', { filtered: true, severity: 'medium' });
  });

  it('streams an output-filtered answer as text, azure provider metadata and finish content_filter', async () => {
    sim.faults.add({ error: 'content_filter_output', count: 1 });
    const parts = await collect(await provider({ api_key: KEY }).stream(ask('a long story please'), ctx()));
    const ext = parts.filter((p) => p.type === 'provider-metadata');
    expect(ext[0]).toMatchObject({ namespace: 'azure', data: { prompt_filter_results: [{ prompt_index: 0 }] } });
    expect(ext.at(-1)).toMatchObject({ data: { content_filter_results: { violence: { filtered: true } } } });
    expect(parts.find((p) => p.type === 'finish')).toEqual({ type: 'finish', finishReason: 'content_filter' });
    expect(parts.some((p) => p.type === 'usage')).toBe(true);
  });

  it('sends max_tokens and no stream_options under an api-version older than 2024-09-01, which refuses both', async () => {
    const old = provider({ api_key: KEY, api_version: '2024-06-01' });
    await old.chat(ask('short', { maxOutputTokens: 16 }), ctx());
    expect(JSON.parse(sim.lastRequest?.body.toString() ?? '{}')).toMatchObject({ max_tokens: 16 });
    await collect(await old.stream(ask('count me'), ctx()));
    expect(JSON.parse(sim.lastRequest?.body.toString() ?? '{}')).not.toHaveProperty('stream_options');
    await provider({ api_key: KEY, api_version: '2024-09-01-preview' }).chat(ask('short', { maxOutputTokens: 16 }), ctx());
    expect(JSON.parse(sim.lastRequest?.body.toString() ?? '{}')).toMatchObject({ max_completion_tokens: 16 });
  });

  it('streams usage (stream_options.include_usage) after finish', async () => {
    const parts = await collect(await provider({ api_key: KEY }).stream(ask('count me'), ctx()));
    const types = parts.map((p) => p.type);
    expect(types[0]).toBe('start');
    expect(types.indexOf('usage')).toBeGreaterThan(types.indexOf('finish'));
    expect(parts.find((p) => p.type === 'start')).toMatchObject({ id: expect.stringMatching(/^chatcmpl-/) });
  });

  it('maps a prompt blocked by the content filter to content_filtered', async () => {
    sim.faults.add({ status: 400, error: 'content_filter', count: 2 });
    const p = provider({ api_key: KEY });
    expect((await fail(p.chat(ask('x'), ctx()))).kind).toBe('content_filtered');
    expect((await fail(p.stream(ask('x'), ctx()))).kind).toBe('content_filtered');
  });

  it('maps a 429 to rate_limited, preferring retry-after-ms', async () => {
    sim.faults.add({ status: 429, retry_after_s: 1.5, count: 1 });
    const err = await fail(provider({ api_key: KEY }).chat(ask('x'), ctx()));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(1500);
    expect(err.retryable).toBe(true);
  });

  it('maps context_length_exceeded to context_window_exceeded', async () => {
    sim.faults.add({ status: 400, error: 'context_length_exceeded', count: 1 });
    expect((await fail(provider({ api_key: KEY }).chat(ask('x'), ctx()))).kind).toBe('context_window_exceeded');
  });

  it('maps an unknown deployment to a fallbackable not_found', async () => {
    const err = await fail(provider({ api_key: KEY, deployment_name: 'missing' }).chat(ask('x'), ctx()));
    expect(err.kind).toBe('not_found');
    expect(err.fallbackable).toBe(true);
  });

  it('embeds through the embeddings deployment', async () => {
    const r = await provider({ api_key: KEY, model: 'text-embedding-3-small', api: 'v1' }).embed({ model: 'x', input: ['a', 'b'], dimensions: 4 }, ctx());
    expect(r.embeddings).toHaveLength(2);
    expect(r.embeddings[0]).toHaveLength(4);
    expect(r.usage.prompt).toBeGreaterThan(0);
  });

  it('embeds token ids as given, billed one token per id', async () => {
    const r = await provider({ api_key: KEY, model: 'text-embedding-3-small', api: 'v1' }).embed({ model: 'x', tokens: [[1212, 318, 257], [13]], dimensions: 4 }, ctx());
    expect(r.embeddings).toHaveLength(2);
    expect(r.usage.prompt).toBe(4);
  });

  it('probes with the free models listing by default, or with a 1-token completion', async () => {
    const before = { ...sim.stats.requests };
    await provider({ api_key: KEY }).probe(ctx());
    await provider({ api_key: KEY, api: 'v1' }).probe(ctx());
    await provider({ api_key: KEY, probe: 'completion' }).probe(ctx());
    const delta = (k: string): number => (sim.stats.requests[k] ?? 0) - (before[k] ?? 0);
    expect(delta('GET /openai/models')).toBe(1);
    expect(delta('GET /openai/v1/models')).toBe(1);
    expect(delta('POST /openai/deployments/{deployment}/chat/completions')).toBe(1);
    expect((await fail(provider({ api_key: KEY, probe: 'completion', deployment_name: 'gone' }).probe(ctx()))).kind).toBe('not_found');
    expect((await provider({ api_key: KEY }).listModels(ctx())).map((m) => m.id)).toContain('gpt-4o-2024-08-06');
  });
});
