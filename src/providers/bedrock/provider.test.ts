import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { silentLogger } from '../../core/logger.js';
import { GatewayError } from '../../core/errors.js';
import type { CallContext, Provider } from '../../core/provider.js';
import { textOf, type ChatRequest, type StreamPart } from '../../core/types.js';
import { embedText } from '../../sim/answer.js';
import { REDACTED_THINKING_TRIGGER } from '../../sim/anthropic/blocks.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../../sim/bedrock/index.js';
import type { SimServer } from '../../sim/server.js';
import type { AwsCredentials } from './credentials.js';
import { bedrock, type BedrockOptions } from './index.js';
import { BedrockProvider } from './provider.js';

const MODEL = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
const ctx = (): { signal: AbortSignal; requestId: string } => ({ signal: new AbortController().signal, requestId: 'req1' });
const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: content }] }], ...extra });

async function drain(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const p of parts) out.push(p);
  return out;
}

describe('bedrock provider against the simulator', () => {
  let sim: SimServer;
  const providers: Provider[] = [];

  function make(extra: Record<string, unknown> = {}, env: Record<string, string> = {}): Provider {
    const parsed = parseConfig(
      {
        deployments: [
          {
            id: 'd',
            provider: 'bedrock',
            model: MODEL,
            region: 'us-east-1',
            endpoint: sim.url,
            access_key_id: SIM_CREDENTIALS.accessKeyId,
            secret_access_key: SIM_CREDENTIALS.secretAccessKey,
            ...extra,
          },
        ],
      },
      env,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0]!;
    const p = bedrock.create(d, d.options as BedrockOptions, { logger: silentLogger });
    providers.push(p);
    return p;
  }

  beforeAll(async () => {
    sim = await startBedrockSim({ region: 'us-east-1', apiKey: 'bedrock-api-key-1' });
  });
  afterEach(() => {
    sim.faults.clear();
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await sim.close();
  });

  it('knows a Claude model however Bedrock names it (base id, inference profile, either ARN): only Claude counts tokens, and Claude before 4.6 takes a prefill', () => {
    const cases: Array<[string, boolean, boolean]> = [
      ['anthropic.claude-3-5-haiku-20241022-v1:0', true, true],
      ['us.anthropic.claude-3-5-haiku-20241022-v1:0', true, true],
      ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0', true, true],
      ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0', true, true],
      ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6-v1:0', true, false],
      ['amazon.nova-pro-v1:0', false, false],
    ];
    for (const [model, counts, prefill] of cases) {
      const p = make({ model });
      expect({ model, counts: p.countTokens !== undefined, prefill: p.prefill === true }).toEqual({ model, counts, prefill });
    }
  });

  it('sends a tool conversation without tools (Converse requires a toolConfig), and raises a call to the tool offering nothing, whole or streamed', async () => {
    const p = make();
    const history: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Look it up' }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'lookup', arguments: '{}' }] },
        { role: 'tool', toolCallId: 't1', content: [] },
      ],
    };
    const summary = await p.chat({ ...history, messages: [...history.messages, { role: 'user', content: [{ type: 'text', text: 'Summarise this' }] }] }, ctx());
    expect(summary.finishReason).toBe('stop');
    const again = { ...history, messages: [...history.messages, { role: 'user' as const, content: [{ type: 'text' as const, text: 'Please call the tool again' }] }] };
    await expect(p.chat(again, ctx())).rejects.toMatchObject({ kind: 'upstream_error', code: 'tool_not_offered', paidUsage: expect.objectContaining({ completion: expect.any(Number) }) });
    const streamed = async (): Promise<unknown> => {
      try {
        for await (const part of await p.stream(again, ctx())) void part;
      } catch (err) {
        return err;
      }
      return undefined;
    };
    // Streamed, the error waits for the usage after the call, so the attempt is billed as the whole answer's is.
    expect(await streamed()).toMatchObject({ kind: 'upstream_error', code: 'tool_not_offered', paidUsage: expect.objectContaining({ completion: expect.any(Number) }) });
  });

  it('maps ModelNotReady, AccessDenied, ModelTimeout and bad credentials into the taxonomy', async () => {
    const p = make();
    const cases: Array<[number, string, string]> = [
      [429, 'ModelNotReadyException', 'unavailable'],
      [403, 'AccessDeniedException', 'permission'],
      [408, 'ModelTimeoutException', 'timeout'],
      [500, 'InternalServerException', 'upstream_error'],
    ];
    for (const [status, error, kind] of cases) {
      sim.faults.add({ status, error, count: 1 });
      await expect(p.chat(ask('x'), ctx())).rejects.toMatchObject({ kind, upstreamStatus: status });
    }
    const wrong = make({ secret_access_key: 'wrong-secret' });
    await expect(wrong.chat(ask('x'), ctx())).rejects.toMatchObject({ kind: 'authentication', upstreamStatus: 403 });
  });

  it('sends the attempt\'s traceparent and tracestate upstream inside the SigV4 signature, which the simulator verifies', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const tracestate = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
    await drain(await make().stream(ask('hi'), { ...ctx(), traceparent, tracestate }));
    expect(sim.lastRequest?.headers).toMatchObject({ traceparent, tracestate });
    expect(sim.lastRequest?.headers.authorization).toMatch(/SignedHeaders=[a-z0-9;-]*traceparent;tracestate/);
    await make().chat(ask('hi'), ctx());
    expect(sim.lastRequest?.headers.traceparent).toBeUndefined();
    expect(sim.lastRequest?.headers.tracestate).toBeUndefined();
  });

  it('signs for the deployment region: a request signed for another region is refused', async () => {
    const other = await startBedrockSim({ region: 'eu-west-1' });
    try {
      const p = make({ endpoint: other.url });
      await expect(p.chat(ask('x'), ctx())).rejects.toMatchObject({ kind: 'authentication' });
    } finally {
      await other.close();
    }
  });

  it('percent-encodes inference profile ids and ARNs in the path', async () => {
    const p = make();
    sim.faults.add({ model: MODEL, status: 503, count: 1 });
    await expect(p.chat(ask('x'), ctx())).rejects.toMatchObject({ kind: 'unavailable' });
    const arn = `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${MODEL}`;
    const r = await make({ model: arn }).chat(ask('hi'), ctx());
    expect(textOf(r.content)).toBe(`Hello from ${arn}! You said: hi.`);
  });

  it('surfaces an in-stream throttlingException as rate_limited after the text so far', async () => {
    sim.faults.add({ stream_error_after_chunks: 2, error: 'ThrottlingException', count: 1 });
    const parts: StreamPart[] = [];
    const stream = await make().stream(ask('a stream that will be throttled'), ctx());
    await expect(
      (async () => {
        for await (const p of stream) parts.push(p);
      })(),
    ).rejects.toMatchObject({ kind: 'rate_limited' });
    expect(parts.filter((p) => p.type === 'text')).toHaveLength(2);
  });

  it('reports a cut stream as a network error and a corrupt frame as a bad upstream response', async () => {
    sim.faults.add({ cut_after_chunks: 1, count: 1 });
    await expect(drain(await make().stream(ask('cut me off'), ctx()))).rejects.toMatchObject({ kind: 'network' });
    sim.faults.add({ malformed: true, count: 1 });
    await expect(drain(await make().stream(ask('garbage'), ctx()))).rejects.toMatchObject({ kind: 'bad_upstream_response' });
    sim.faults.add({ malformed: true, count: 1 });
    await expect(make().chat(ask('garbage'), ctx())).rejects.toMatchObject({ kind: 'bad_upstream_response' });
  });

  it('reports finish_reason content_filter when a guardrail intervenes', async () => {
    const p = make();
    sim.faults.add({ error: 'guardrail_intervened', count: 2 });
    const r = await p.chat(ask('something blocked'), ctx());
    expect(r.finishReason).toBe('content_filter');
    expect(r.providerMetadata?.bedrock?.stopReason).toBe('guardrail_intervened');
    const parts = await drain(await p.stream(ask('something blocked'), ctx()));
    expect(parts).toContainEqual({ type: 'finish', finishReason: 'content_filter' });
  });

  it('marks the system prompt for caching and counts cache reads inside the prompt', async () => {
    const request: ChatRequest = {
      model: 'x',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'A long shared system prompt for caching.' }] },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      ],
    };
    const cached = await make({ cache_system_prompt: true }).chat(request, ctx());
    const plain = await make().chat(request, ctx());
    expect(cached.usage.cachedRead).toBe(Math.ceil('A long shared system prompt for caching.'.length / 4));
    expect(cached.usage.prompt).toBe(plain.usage.prompt);
    expect(plain.usage.cachedRead).toBe(0);
  });

  it('reports what it could not send as Warnings, on the answer and on the start part', async () => {
    const p = make();
    const r = await p.chat(ask('hi', { seed: 7 }), ctx());
    expect(r.warnings).toEqual([{ type: 'unsupported-setting', setting: 'seed', message: expect.any(String) }]);
    const parts = await drain(await p.stream(ask('hi', { presencePenalty: 0.5 }), ctx()));
    expect(parts[0]).toMatchObject({ type: 'start', warnings: [{ setting: 'presencePenalty' }] });
  });

  it('sends top_k and thinking to a Claude model in additionalModelRequestFields', async () => {
    await make().chat(ask('hi', { topK: 10 }), ctx());
    expect(JSON.parse(String(sim.lastRequest?.body))).toMatchObject({ additionalModelRequestFields: { top_k: 10 } });
    const r = await make().chat(ask('hi', { topK: 10, reasoning: { enabled: true, effort: 'high' } }), ctx());
    expect(JSON.parse(String(sim.lastRequest?.body))).toMatchObject({
      inferenceConfig: { maxTokens: 24_576 + 4096 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 24_576 } },
    });
    expect(r.warnings?.map((w) => w.setting)).toEqual(['topK']);
  });

  it("keeps Claude's redacted reasoning as a redacted reasoning part, whole and streamed, and sends it back as redactedContent", async () => {
    const p = make();
    const question = ask(`Hello ${REDACTED_THINKING_TRIGGER}`, { reasoning: { enabled: true, budgetTokens: 1024 }, maxOutputTokens: 2048 });
    const r = await p.chat(question, ctx());
    const redacted = r.content.filter((part) => part.type === 'redacted-reasoning');
    expect(redacted).toEqual([{ type: 'redacted-reasoning', data: expect.any(String), provider: 'anthropic' }]);
    const parts = await drain(await p.stream(question, ctx()));
    expect(parts.filter((part) => part.type === 'redacted-reasoning')).toEqual(redacted);
    const next = await p.chat({ ...question, messages: [...question.messages, { role: 'assistant', content: r.content }, { role: 'user', content: [{ type: 'text', text: 'Again' }] }] }, ctx());
    expect(textOf(next.content)).toContain('You said: Again');
    const sent = JSON.parse(String(sim.lastRequest?.body)) as { messages: Array<{ content: Array<{ reasoningContent?: { redactedContent?: string } }> }> };
    expect(sent.messages[1]?.content[1]?.reasoningContent).toEqual({ redactedContent: (redacted[0] as { data: string }).data });
  });

  it('counts tokens with CountTokens under the foundation model id, sending only the prompt, as Converse bills it', async () => {
    const p = make();
    const request = ask('Please count me', {
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Please count me' }] },
      ],
      tools: [{ name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } }],
      maxOutputTokens: 4096,
      temperature: 0.2,
      topK: 5,
      stopSequences: ['END'],
      reasoning: { enabled: true, budgetTokens: 2048 },
    });
    const counted = await p.countTokens?.(request, ctx());
    expect(sim.lastRequest?.path).toBe('/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/count-tokens');
    const sent = JSON.parse(sim.lastRequest?.body.toString('utf8') ?? '{}') as { input: { converse: Record<string, unknown> } };
    expect(Object.keys(sent)).toEqual(['input']);
    expect(Object.keys(sent.input.converse).sort()).toEqual(['messages', 'system', 'toolConfig']);
    const answered = await p.chat(request, ctx());
    expect(counted).toBe(answered.usage.prompt);
  });

  it('maps a refused count like a refused call (a profile prefix the gateway does not know, so the id the counter is given is no foundation model: invalid_request), quoting no upstream text', async () => {
    const p = make({ model: `xx.${MODEL.replace(/^us\./, '')}` });
    const err = (await p.countTokens?.(ask('x'), ctx()).catch((e: unknown) => e)) as Error & { kind?: string };
    expect(err.kind).toBe('invalid_request');
    expect(err.message).not.toContain('counting tokens');
  });

  it('counts for a deployment named by an ARN, under the foundation model the ARN names', async () => {
    const foundation = MODEL.replace(/^us\./, '');
    for (const model of [`arn:aws:bedrock:us-east-1::foundation-model/${foundation}`, `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${MODEL}`]) {
      expect(await make({ model }).countTokens?.(ask('x'), ctx())).toBeGreaterThan(0);
      expect(sim.lastRequest?.path).toBe(`/model/${encodeURIComponent(foundation)}/count-tokens`);
    }
  });

  it('has no token counter for models CountTokens does not count (the gateway estimates for them)', () => {
    expect(make({ model: 'amazon.nova-lite-v1:0' }).countTokens).toBeUndefined();
    expect(make().countTokens).toBeTypeOf('function');
  });

  it('embeds with Titan one call per input and sums the token counts', async () => {
    const before = sim.stats.requests['POST /model/{id}/invoke'] ?? 0;
    const p = make({ model: 'amazon.titan-embed-text-v2:0' });
    const r = await p.embed({ model: 'e', input: ['alpha', 'beta', 'gamma delta'], dimensions: 256 }, ctx());
    expect(r.embeddings).toEqual([embedText('alpha', 256), embedText('beta', 256), embedText('gamma delta', 256)]);
    expect(r.usage.prompt).toBe(2 + 1 + 3);
    expect((sim.stats.requests['POST /model/{id}/invoke'] ?? 0) - before).toBe(3);
  });

  it('refuses token ids for Titan and Cohere before calling: a fallbackable, unsent 400 naming input', async () => {
    const before = sim.stats.requests['POST /model/{id}/invoke'] ?? 0;
    for (const model of ['amazon.titan-embed-text-v2:0', 'cohere.embed-multilingual-v3']) {
      const err = await make({ model }).embed({ model: 'e', tokens: [[1212, 318]] }, ctx()).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'invalid_request', status: 400, param: 'input', fallbackable: true, unsent: true, message: expect.stringContaining('embeds text only') as unknown });
    }
    expect((sim.stats.requests['POST /model/{id}/invoke'] ?? 0) - before).toBe(0);
  });

  it('fails a Titan batch with the first error', async () => {
    sim.faults.add({ model: 'amazon.titan-embed-text-v2:0', status: 429, count: 1 });
    await expect(make({ model: 'amazon.titan-embed-text-v2:0' }).embed({ model: 'e', input: ['a', 'b', 'c'] }, ctx())).rejects.toMatchObject({ kind: 'rate_limited' });
  });

  it('embeds with Cohere in batches of 96, keeping order', async () => {
    // Its own simulator: aborted calls of other tests may still reach the shared one.
    const own = await startBedrockSim();
    try {
      const inputs = Array.from({ length: 100 }, (_, i) => `text number ${i}`);
      const r = await make({ model: 'cohere.embed-multilingual-v3', endpoint: own.url }).embed({ model: 'e', input: inputs }, ctx());
      expect(r.embeddings).toHaveLength(100);
      expect(r.embeddings[99]).toEqual(embedText('text number 99', 1024));
      expect(own.stats.requests['POST /model/{id}/invoke']).toBe(2);
      expect(r.usage.prompt).toBe(inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0));
    } finally {
      await own.close();
    }
  });

  it('authenticates with a Bedrock API key as a bearer token instead of SigV4', async () => {
    const p = make({ access_key_id: undefined, secret_access_key: undefined, api_key: '${BEDROCK_KEY}' }, { BEDROCK_KEY: 'bedrock-api-key-1' });
    expect(textOf((await p.chat(ask('hi'), ctx())).content)).toContain('You said: hi');
    const wrong = make({ access_key_id: undefined, secret_access_key: undefined, api_key: 'other-key' });
    await expect(wrong.chat(ask('hi'), ctx())).rejects.toMatchObject({ kind: 'authentication' });
  });

  it('uses the AWS default credential chain when no keys are configured', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', SIM_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', SIM_CREDENTIALS.secretAccessKey);
    const p = make({ access_key_id: undefined, secret_access_key: undefined });
    expect(textOf((await p.chat(ask('hi'), ctx())).content)).toContain('You said: hi');
  });

  it('stops waiting for credentials that do not come when the client leaves, its cancellation unsent, and sends nothing once they do', async () => {
    const parsed = parseConfig({ deployments: [{ id: 'd', provider: 'bedrock', model: MODEL, region: 'us-east-1', endpoint: sim.url }] }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0]!;
    let arrive: (c: AwsCredentials) => void = () => undefined;
    const slow = new Promise<AwsCredentials>((resolve) => (arrive = resolve));
    const p = new BedrockProvider(d, d.options as BedrockOptions, () => slow);
    providers.push(p);
    const before = sim.stats.total;
    for (const call of [(c: CallContext) => p.chat(ask('hi'), c), (c: CallContext) => p.stream(ask('hi'), c)]) {
      const client = new AbortController();
      const pending = call({ signal: client.signal, requestId: 'req1' });
      await new Promise((r) => setTimeout(r, 20));
      client.abort(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
      await expect(pending).rejects.toMatchObject({ kind: 'cancelled', unsent: true });
    }
    arrive(SIM_CREDENTIALS);
    await new Promise((r) => setTimeout(r, 50));
    expect(sim.stats.total).toBe(before);
  });

  it('bills an embedding attempt whose client left while a later call waited for credentials: the earlier calls reached the upstream', async () => {
    const parsed = parseConfig({ deployments: [{ id: 'd', provider: 'bedrock', model: 'amazon.titan-embed-text-v2:0', region: 'us-east-1', endpoint: sim.url, embedding_concurrency: 1 }] }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0]!;
    let signed = 0;
    // The first call's credentials come at once; the second's never do.
    const p = new BedrockProvider(d, d.options as BedrockOptions, () => (signed++ === 0 ? Promise.resolve(SIM_CREDENTIALS) : new Promise<AwsCredentials>(() => undefined)));
    providers.push(p);
    const before = sim.stats.total;
    const client = new AbortController();
    const pending = p.embed({ model: 'e', input: ['alpha', 'beta'] }, { signal: client.signal, requestId: 'req1' });
    while (sim.stats.total === before) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    client.abort(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled', unsent: false });
    expect(sim.stats.total - before).toBe(1);
  });

  it('probes with a one-token Converse and reports an outage', async () => {
    const p = make();
    const before = sim.stats.requests['POST /model/{id}/converse'] ?? 0;
    await p.probe(ctx());
    expect((sim.stats.requests['POST /model/{id}/converse'] ?? 0) - before).toBe(1);
    sim.faults.add({ status: 503, count: 1 });
    await expect(p.probe(ctx())).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('rejects an incomplete key pair and a region that is not an AWS region at config time', () => {
    const bad = parseConfig({ deployments: [{ id: 'd', provider: 'bedrock', model: MODEL, region: 'us-east', access_key_id: 'AKID' }] }, {});
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.map((p) => p.path).sort()).toEqual(['deployments[0].region', 'deployments[0].secret_access_key']);
  });

  it('refuses at config time passthrough of the model fields it writes for Claude (thinking, top_k), and lets others through', () => {
    const passthrough = (model: string, fields: string[]) => parseConfig({ deployments: [{ id: 'd', provider: 'bedrock', model, region: 'us-east-1', passthrough: fields }] }, {});
    for (const field of ['thinking', 'top_k']) {
      const refused = passthrough(MODEL, ['anthropic_beta', field]);
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.problems).toEqual([expect.objectContaining({ path: 'deployments[0].passthrough', message: expect.stringContaining(`"${field}"`) })]);
    }
    expect(passthrough(MODEL, ['anthropic_beta']).ok).toBe(true);
    expect(passthrough('meta.llama3-70b-instruct-v1:0', ['top_k']).ok).toBe(true);
  });
});
