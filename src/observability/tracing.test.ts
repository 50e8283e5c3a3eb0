import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import type { GatewayConfig } from '../config/schema.js';
import { createObservability, type Observability } from './index.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';
import { attr, capturing, spansOf, startCollector, type OtlpSpan, type Received } from './testing/collector.js';
import { userRequest } from '../testing/canonical.js';
import { attempt } from '../ledger/testing/fixtures.js';
import { GatewayError } from '../core/errors.js';
import { makeUsage } from '../core/types.js';
import type { SpanData } from './otlp.js';
import { Tracer, type ServerSpanStart } from './tracing.js';

describe('traces exported over OTLP/HTTP', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let primary: SimServer;
  let secondary: SimServer;
  let gateway: Gateway;
  let observability: Observability;
  let config: GatewayConfig;

  /** A gateway whose group `mirrored` copies every request to `secondary`; `reported` settles once that copy is recorded. */
  function mirroring(): { gateway: Gateway; reported: Promise<void> } {
    let done = (): void => undefined;
    const reported = new Promise<void>((resolve) => (done = resolve));
    const observer = observability.observer as NonNullable<Observability['observer']>;
    const gateway = createGateway(config, { observers: [observer, { onAttempt: (r) => { if (r.role === 'shadow') done(); } }], tracing: observability.tracing });
    return { gateway, reported };
  }

  beforeAll(async () => {
    collector = await startCollector();
    primary = await startOpenAISim({ name: 'primary' });
    secondary = await startOpenAISim({ name: 'secondary' });
    config = resolveConfig(
      {
        routing: { max_attempts_per_deployment: 2, backoff: { base_ms: 1, cap_ms: 2 } },
        deployments: [
          { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${primary.url}/v1` },
          { id: 'secondary', provider: 'openai-compatible', model: 'gpt-4o', endpoint: `${secondary.url}/v1` },
        ],
        groups: [
          { name: 'chat', strategy: 'priority', deployments: ['primary', 'secondary'] },
          { name: 'mirrored', strategy: 'priority', deployments: ['primary', 'secondary'], shadow: { share: 1 } },
        ],
        observability: { tracing: { enabled: true, endpoint: collector.url, headers: { authorization: 'Bearer ${OTLP_TOKEN_FOR_TEST}' }, service_name: 'gw-test' } },
      },
      { OTLP_TOKEN_FOR_TEST: 'collector-token' },
    );
    observability = await createObservability(config);
    gateway = createGateway(config, { observers: observability.observer ? [observability.observer] : [], tracing: observability.tracing });
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.all([primary.close(), secondary.close(), collector.close()]);
  });

  it('exports a server span with one client span per attempt: retries and fallbacks are siblings, content is never recorded', async () => {
    const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    const span = observability.startServerSpan({
      method: 'POST',
      route: '/v1/chat/completions',
      path: '/v1/chat/completions',
      scheme: 'http',
      headers: { traceparent: `00-${clientTrace}-${clientSpan}-01` },
      requestId: 'req-traced',
    });
    expect(parseTraceparent(span.traceparent)?.traceId).toBe(clientTrace);
    primary.faults.add({ status: 503, count: 2 });
    const result = await gateway.chat(userRequest('chat', 'PROMPT-SECRET-TEXT'), { requestId: 'req-traced' });
    span.end(200, result.servedBy);
    await observability.close();

    expect(collector.received.length).toBeGreaterThan(0);
    const request = collector.received[0] as Received;
    expect(request.headers.authorization).toBe('Bearer collector-token');
    // Binary protobuf unless configured otherwise, as OTel SDKs default (the collector decodes it with opentelemetry-proto).
    expect(request.headers['content-type']).toBe('application/x-protobuf');
    const resource = (key: string): string | undefined => request.body.resourceSpans[0]?.resource.attributes.find((a) => a.key === key)?.value.stringValue;
    expect(resource('service.name')).toBe('gw-test');
    // Which release, and which process of it (a replica, a worker), sent the spans.
    expect(resource('service.version')).toMatch(/^\d+\.\d+\.\d+/);
    expect(resource('service.instance.id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const spans = collector.received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
    const server = spans.find((s) => s.kind === 2);
    const clients = spans.filter((s) => s.kind === 3);
    // OTLP span flags: sampled, and whether the parent is remote (the client's span) or in this process.
    expect(server).toMatchObject({ traceId: clientTrace, parentSpanId: clientSpan, name: 'POST /v1/chat/completions', status: { code: 0 }, flags: 0x301 });
    expect(attr(server as OtlpSpan, 'http.response.status_code')).toBe(200);
    expect(clients.map((s) => [s.name, attr(s, 'switchyard.attempt.role'), attr(s, 'error.type') ?? null])).toEqual([
      ['chat gpt-4o-mini', 'primary', 'unavailable'],
      ['chat gpt-4o-mini', 'retry', 'unavailable'],
      ['chat gpt-4o', 'fallback', null],
    ]);
    for (const c of clients) {
      expect(c.flags).toBe(0x101);
      expect(c.traceId).toBe(clientTrace);
      expect(c.parentSpanId).toBe(server?.spanId);
      expect(BigInt(c.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(c.startTimeUnixNano));
      expect(attr(c, 'gen_ai.provider.name')).toBe('openai');
      expect(attr(c, 'gen_ai.operation.name')).toBe('chat');
      expect(attr(c, 'server.address')).toBe('127.0.0.1');
      expect(attr(c, 'server.port')).toBe(Number(new URL(c.name === 'chat gpt-4o' ? secondary.url : primary.url).port));
    }
    const ok = clients[2] as OtlpSpan;
    expect(ok.status.code).toBe(0);
    expect(attr(ok, 'gen_ai.usage.input_tokens')).toBeGreaterThan(0);
    expect(attr(ok, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
    expect(attr(ok, 'switchyard.fallback_from')).toBe('primary');
    expect(clients[0]?.status).toEqual({ code: 2, message: 'unavailable' });
    expect(JSON.stringify(collector.received.map((r) => r.body))).not.toContain('PROMPT-SECRET-TEXT');
  });

  it('sends each attempt its own traceparent upstream, naming the attempt span, and records the GenAI request and response scalars', async () => {
    const clientTrace = '5bf92f3577b34da6a3ce929d0e0e4736';
    const span = observability.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: { traceparent: `00-${clientTrace}-10f067aa0ba902b7-01` }, requestId: 'req-propagated' });
    primary.faults.add({ status: 503, count: 1 });
    const result = await gateway.chat(
      userRequest('chat', 'PROMPT-SECRET-TEXT', { maxOutputTokens: 64, temperature: 0.5, topP: 0.9, seed: 7, stopSequences: ['END'] }),
      { requestId: 'req-propagated' },
    );
    span.end(200, result.servedBy);
    await observability.close();

    const sent = parseTraceparent(primary.lastRequest?.headers.traceparent);
    expect(sent).toMatchObject({ traceId: clientTrace, sampled: true });
    const clients = spansOf(collector.received).filter((s) => s.traceId === clientTrace && s.kind === 3);
    expect(clients).toHaveLength(2);
    const [failed, ok] = clients as [OtlpSpan, OtlpSpan];
    expect(ok.spanId).toBe(sent?.spanId);
    expect(failed.spanId).not.toBe(ok.spanId);
    expect(attr(ok, 'gen_ai.request.max_tokens')).toBe(64);
    expect(attr(ok, 'gen_ai.request.temperature')).toBe(0.5);
    expect(attr(ok, 'gen_ai.request.top_p')).toBe(0.9);
    expect(attr(ok, 'gen_ai.request.seed')).toBe(7);
    expect(ok.attributes.find((a) => a.key === 'gen_ai.request.stop_sequences')?.value).toEqual({ arrayValue: { values: [{ stringValue: 'END' }] } });
    expect(attr(ok, 'gen_ai.request.stream')).toBe(false);
    expect(attr(ok, 'gen_ai.response.id')).toBe(result.response.id);
    expect(attr(ok, 'gen_ai.response.model')).toBe(result.response.model);
    expect(ok.attributes.find((a) => a.key === 'gen_ai.response.finish_reasons')?.value).toEqual({ arrayValue: { values: [{ stringValue: 'stop' }] } });
    expect(attr(failed, 'gen_ai.response.id')).toBeUndefined();
    expect(JSON.stringify(collector.received.map((r) => r.body))).not.toContain('PROMPT-SECRET-TEXT');
  });

  it('records a streamed attempt\'s response id, model and finish reason from its parts', async () => {
    const clientTrace = '6bf92f3577b34da6a3ce929d0e0e4736';
    const span = observability.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: { traceparent: `00-${clientTrace}-20f067aa0ba902b7-01` }, requestId: 'req-streamed' });
    const result = await gateway.stream(userRequest('chat', 'hi', { temperature: 0 }), { requestId: 'req-streamed' });
    let id: string | undefined;
    for await (const p of result.parts) if (p.type === 'start') id = p.id;
    span.end(200, result.servedBy);
    await observability.close();

    const attempt = spansOf(collector.received).find((s) => s.traceId === clientTrace && s.kind === 3) as OtlpSpan;
    expect(attempt.spanId).toBe(parseTraceparent(primary.lastRequest?.headers.traceparent)?.spanId);
    expect(id).toBeDefined();
    expect(attr(attempt, 'gen_ai.response.id')).toBe(id);
    expect(attr(attempt, 'gen_ai.response.model')).toBe('gpt-4o-mini');
    expect(attr(attempt, 'gen_ai.request.stream')).toBe(true);
    expect(attr(attempt, 'gen_ai.request.temperature')).toBe(0);
    expect(attempt.attributes.find((a) => a.key === 'gen_ai.response.finish_reasons')?.value).toEqual({ arrayValue: { values: [{ stringValue: 'stop' }] } });
  });

  it('records nothing for a trace the client did not sample, yet passes its context on', async () => {
    const parent = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: false };
    const span = observability.startServerSpan({ method: 'POST', route: '/v1/embeddings', path: '/v1/embeddings', scheme: 'http', headers: { traceparent: formatTraceparent(parent) }, requestId: 'req-unsampled' });
    expect(parseTraceparent(span.traceparent)).toMatchObject({ traceId: parent.traceId, sampled: false });
    await gateway.embed({ model: 'chat', input: ['hello'] }, { requestId: 'req-unsampled' }).catch(() => undefined);
    span.end(200);
    await observability.close();
    expect(primary.lastRequest?.headers.traceparent).toBe(span.traceparent);
    expect(JSON.stringify(collector.received.map((r) => r.body))).not.toContain(parent.traceId);
    expect(JSON.stringify(collector.received.map((r) => r.body))).not.toContain('req-unsampled');
  });

  it("forwards the client's tracestate upstream with every attempt's traceparent and records it on the server and attempt spans", async () => {
    const clientTrace = '8bf92f3577b34da6a3ce929d0e0e4736';
    const span = observability.startServerSpan({
      method: 'POST',
      route: '/v1/chat/completions',
      path: '/v1/chat/completions',
      scheme: 'http',
      headers: { traceparent: `00-${clientTrace}-40f067aa0ba902b7-01`, tracestate: 'rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE' },
      requestId: 'req-tracestate',
    });
    primary.faults.add({ status: 503, count: 1 });
    const result = await gateway.chat(userRequest('chat', 'hi'), { requestId: 'req-tracestate' });
    span.end(200, result.servedBy);
    await observability.close();

    expect(primary.lastRequest?.headers.tracestate).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    const spans = spansOf(collector.received).filter((s) => s.traceId === clientTrace);
    expect(spans.map((s) => [s.kind, s.traceState])).toEqual([
      [3, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
      [3, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
      [2, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
    ]);
  });

  it("passes the tracestate of a trace the client did not sample on upstream, as the spec asks of every participant", async () => {
    const parent = { traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), sampled: false };
    const span = observability.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: { traceparent: formatTraceparent(parent), tracestate: 'congo=t61rcWkgMzE' }, requestId: 'req-unsampled-state' });
    await gateway.chat(userRequest('chat', 'hi'), { requestId: 'req-unsampled-state' });
    span.end(200);
    expect(primary.lastRequest?.headers).toMatchObject({ traceparent: span.traceparent, tracestate: 'congo=t61rcWkgMzE' });
  });

  it('ignores a tracestate without a valid traceparent: the request starts its own trace and sends none upstream', async () => {
    const traces: string[] = [];
    for (const [n, traceparent] of [undefined, '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'garbage'].entries()) {
      const requestId = `req-orphan-state-${n}`;
      const span = observability.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: { traceparent, tracestate: 'rojo=00f067aa0ba902b7' }, requestId });
      await gateway.chat(userRequest('chat', 'hi'), { requestId });
      span.end(200);
      const own = parseTraceparent(span.traceparent)?.traceId as string;
      traces.push(own);
      expect(parseTraceparent(primary.lastRequest?.headers.traceparent)?.traceId).toBe(own);
      expect(primary.lastRequest?.headers.tracestate).toBeUndefined();
    }
    await observability.close();
    const spans = spansOf(collector.received).filter((s) => traces.includes(s.traceId));
    expect(spans).toHaveLength(6);
    for (const s of spans) expect(s.traceState).toBeUndefined();
  });

  it("drops an invalid tracestate entirely yet continues the client's trace", async () => {
    const clientTrace = '9bf92f3577b34da6a3ce929d0e0e4736';
    const tooMany = Array.from({ length: 33 }, (_, n) => `k${n}=v`).join(',');
    for (const [n, tracestate] of [tooMany, 'rojo=1,Congo=2', `rojo=${'v'.repeat(257)}`].entries()) {
      const requestId = `req-invalid-state-${n}`;
      const span = observability.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: { traceparent: `00-${clientTrace}-50f067aa0ba902b7-01`, tracestate }, requestId });
      await gateway.chat(userRequest('chat', 'hi'), { requestId });
      span.end(200);
      expect(parseTraceparent(primary.lastRequest?.headers.traceparent)?.traceId).toBe(clientTrace);
      expect(primary.lastRequest?.headers.tracestate).toBeUndefined();
    }
    await observability.close();
    const spans = spansOf(collector.received).filter((s) => s.traceId === clientTrace);
    expect(spans).toHaveLength(6);
    for (const s of spans) expect(s.traceState).toBeUndefined();
  });

  it('exports the spans the tracer dropped as a counter, so a slow or down collector can be alerted on', async () => {
    const obs = await createObservability(config);
    try {
      expect(await obs.metrics?.render()).toContain('switchyard_trace_spans_dropped_total 0');
      (obs.tracing as unknown as { dropped: number }).dropped = 3;
      expect(await obs.metrics?.render()).toContain('switchyard_trace_spans_dropped_total 3');
    } finally {
      await obs.close();
    }
  });

  it("exports a shadow copy's span in the client's trace, under the server span, with the id its upstream got, though it ends after the request", async () => {
    const clientTrace = '7bf92f3577b34da6a3ce929d0e0e4736';
    const { gateway: mirrored, reported } = mirroring();
    try {
      const span = observability.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: { traceparent: `00-${clientTrace}-30f067aa0ba902b7-01` }, requestId: 'req-shadowed' });
      // The standby answers late: its attempt is recorded after the request's span has ended.
      secondary.faults.add({ latency_ms: 50, count: 1 });
      const result = await mirrored.chat(userRequest('mirrored', 'hi'), { requestId: 'req-shadowed' });
      span.end(200, result.servedBy);
      await reported;
      await observability.close();
    } finally {
      await mirrored.close();
    }

    const spans = spansOf(collector.received);
    const server = spans.find((s) => s.kind === 2 && attr(s, 'switchyard.request_id') === 'req-shadowed') as OtlpSpan;
    const shadow = spans.find((s) => attr(s, 'switchyard.attempt.role') === 'shadow') as OtlpSpan;
    expect(shadow).toBeDefined();
    expect(BigInt(shadow.endTimeUnixNano)).toBeGreaterThan(BigInt(server.endTimeUnixNano));
    expect(shadow.traceId).toBe(clientTrace);
    expect(shadow.parentSpanId).toBe(server.spanId);
    expect(shadow.spanId).toBe(parseTraceparent(secondary.lastRequest?.headers.traceparent)?.spanId);
  });

  it('exports no shadow copy of a request the client did not sample', async () => {
    const parent = { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), sampled: false };
    const { gateway: mirrored, reported } = mirroring();
    const before = collector.received.length;
    let passedOn: string | undefined;
    try {
      const span = observability.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: { traceparent: formatTraceparent(parent) }, requestId: 'req-unsampled-shadow' });
      passedOn = span.traceparent;
      secondary.faults.add({ latency_ms: 50, count: 1 });
      await mirrored.chat(userRequest('mirrored', 'hi'), { requestId: 'req-unsampled-shadow' });
      span.end(200);
      await reported;
      await observability.close();
    } finally {
      await mirrored.close();
    }
    expect(secondary.lastRequest?.headers.traceparent).toBe(passedOn);
    expect(spansOf(collector.received.slice(before))).toEqual([]);
  });
  it('sends OTLP/JSON instead when configured with protocol http/json', async () => {
    const json = resolveConfig({ ...config, observability: { tracing: { enabled: true, endpoint: collector.url, protocol: 'http/json' } } }, {});
    const obs = await createObservability(json);
    const gw = createGateway(json, { observers: obs.observer ? [obs.observer] : [], tracing: obs.tracing });
    const before = collector.received.length;
    try {
      const span = obs.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: {}, requestId: 'req-json' });
      span.end(200, (await gw.chat(userRequest('chat', 'hi'), { requestId: 'req-json' })).servedBy);
      await obs.close();
    } finally {
      await gw.close();
    }
    const sent = collector.received.slice(before);
    expect(sent.map((r) => r.headers['content-type'])).toEqual(['application/json']);
    expect(spansOf(sent).map((s) => s.kind).sort()).toEqual([2, 3]);
  });

  it('exports an answer from the response cache as an internal span, never a GenAI client span counting its tokens again', async () => {
    const cached = resolveConfig(
      {
        deployments: [{ id: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${primary.url}/v1` }],
        groups: [{ name: 'cached', deployments: ['primary'], cache: { enabled: true, ttl_ms: 60_000, deterministic_only: false } }],
        observability: { tracing: { enabled: true, endpoint: collector.url } },
      },
      {},
    );
    const obs = await createObservability(cached);
    const gw = createGateway(cached, { observers: obs.observer ? [obs.observer] : [], tracing: obs.tracing });
    const before = collector.received.length;
    try {
      for (const requestId of ['req-cache-miss', 'req-cache-hit']) {
        const span = obs.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: {}, requestId });
        const result = await gw.chat(userRequest('cached', 'the same question'), { requestId });
        span.end(200, result.servedBy);
      }
      await obs.close();
    } finally {
      await gw.close();
    }
    const spans = spansOf(collector.received.slice(before));
    const server = spans.find((s) => attr(s, 'switchyard.request_id') === 'req-cache-hit') as OtlpSpan;
    const children = spans.filter((s) => s.parentSpanId === server.spanId);
    expect(children).toHaveLength(1);
    const hit = children[0] as OtlpSpan;
    expect(hit).toMatchObject({ name: 'response cache hit', kind: 1, traceId: server.traceId });
    expect(attr(hit, 'switchyard.cache_hit')).toBe(true);
    expect(attr(hit, 'switchyard.deployment')).toBe('primary');
    expect(hit.attributes.filter((a) => a.key.startsWith('gen_ai.') || a.key.startsWith('server.'))).toEqual([]);
    // The one upstream call is the miss's, with its usage.
    const calls = spans.filter((s) => s.kind === 3);
    expect(calls).toHaveLength(1);
    expect(attr(calls[0] as OtlpSpan, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
  });
});

describe('server span (HTTP semantic conventions)', () => {
  async function serverSpan(start: Partial<ServerSpanStart>, status = 200): Promise<SpanData> {
    const exported: SpanData[] = [];
    const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: 1 });
    tracer.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: {}, requestId: 'req', ...start });
    tracer.endServerSpan('req', status, undefined, undefined);
    await tracer.close();
    return exported[0] as SpanData;
  }

  it('carries the required url.scheme and url.path (scrubbed to the route), the server the client addressed and its user agent, and no query or credential', async () => {
    const span = await serverSpan({
      method: 'GET',
      route: '/v1/responses/{id}',
      path: '/v1/responses/resp_1',
      scheme: 'https',
      headers: { host: 'gw.example.com:8443', 'user-agent': 'OpenAI/JS 4.0', authorization: 'Bearer sk-SECRET', cookie: 'session=SECRET' },
    });
    expect(span.name).toBe('GET /v1/responses/{id}');
    // A trace of its own (no client traceparent): no remote parent.
    expect(span.flags).toBe(0x101);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.request.method_original': undefined,
      'url.scheme': 'https',
      'url.path': '/v1/responses/{id}',
      'http.route': '/v1/responses/{id}',
      'http.response.status_code': 200,
      'server.address': 'gw.example.com',
      'server.port': 8443,
      'user_agent.original': 'OpenAI/JS 4.0',
    });
    expect(JSON.stringify(span.attributes)).not.toContain('SECRET');
    expect(Object.keys(span.attributes)).not.toContain('url.query');
  });

  it('records as url.path the path the client sent when its runtime routed on another, a stage or route prefix taken off', async () => {
    const span = await serverSpan({ path: '/v1/chat/completions', originalPath: '/prod/v1/chat/completions' });
    expect(span.attributes['url.path']).toBe('/prod/v1/chat/completions');
  });

  it('scrubs a path parameter out of url.path: an admin who pastes a virtual key where its id goes exports the route, never the key', async () => {
    const pasted = 'sy-0123456789ab-PASTED_SECRET_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const span = await serverSpan({ route: '/v1/switchyard/keys/{id}/revoke', path: `/v1/switchyard/keys/${pasted}/revoke` });
    expect(span.attributes['url.path']).toBe('/v1/switchyard/keys/{id}/revoke');
    const underStage = await serverSpan({ route: '/v1/switchyard/keys/{id}/rotate', path: `/v1/switchyard/keys/${pasted}/rotate`, originalPath: `/prod/v1/switchyard/keys/${pasted}/rotate` });
    expect(underStage.attributes['url.path']).toBe('/prod/v1/switchyard/keys/{id}/rotate');
    expect(JSON.stringify([span, underStage])).not.toContain('PASTED_SECRET');
  });

  it('puts the application root a runtime took off (a stage, a route prefix) in front of http.route and the span name, as the conventions ask', async () => {
    const span = await serverSpan({ route: '/v1/switchyard/keys/{id}/revoke', path: '/v1/switchyard/keys/k1/revoke', originalPath: '/prod/v1/switchyard/keys/k1/revoke' });
    expect(span.name).toBe('POST /prod/v1/switchyard/keys/{id}/revoke');
    expect(span.attributes['http.route']).toBe('/prod/v1/switchyard/keys/{id}/revoke');
    expect((await serverSpan({})).attributes['http.route']).toBe('/v1/chat/completions');
  });

  it('names a method the conventions do not know _OTHER, keeps the original beside it, and names the span HTTP {route}', async () => {
    const span = await serverSpan({ method: 'PURGE' });
    expect(span.name).toBe('HTTP /v1/chat/completions');
    expect(span.attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' });
  });

  it('carries the HTTP version the runtime reported as network.protocol.version, and none when it reported none', async () => {
    expect((await serverSpan({ httpVersion: '1.1' })).attributes['network.protocol.version']).toBe('1.1');
    expect((await serverSpan({ httpVersion: 'HTTP/2.0' })).attributes['network.protocol.version']).toBe('2');
    expect((await serverSpan({ httpVersion: undefined })).attributes['network.protocol.version']).toBeUndefined();
  });

  it('leaves server.port out when the host header names none, and both out without a host header', async () => {
    expect((await serverSpan({ headers: { host: '[::1]' } })).attributes).toMatchObject({ 'server.address': '::1', 'server.port': undefined });
    expect((await serverSpan({ headers: {} })).attributes).toMatchObject({ 'server.address': undefined, 'server.port': undefined, 'user_agent.original': undefined });
  });
});

describe('attribute value length limit (OpenTelemetry attributeValueLengthLimit)', () => {
  async function unauthenticated(headers: ServerSpanStart['headers'], method = 'POST', limit?: number): Promise<SpanData> {
    const exported: SpanData[] = [];
    const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: 1, attributeValueLengthLimit: limit });
    tracer.startServerSpan({ method, route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers, requestId: 'req' });
    tracer.endServerSpan('req', 401, undefined, 'unauthenticated');
    await tracer.close();
    return exported[0] as SpanData;
  }

  it("cuts an anonymous caller's 15,000-character User-Agent, 14,000-character Host and long method on its 401 to 1024 characters", async () => {
    const span = await unauthenticated({ 'user-agent': 'B'.repeat(15_000), host: `${'h'.repeat(14_000)}.example:8443` }, 'X'.repeat(5_000));
    expect(span.attributes).toMatchObject({
      'user_agent.original': 'B'.repeat(1024),
      'server.address': 'h'.repeat(1024),
      'server.port': 8443,
      'http.request.method': '_OTHER',
      'http.request.method_original': 'X'.repeat(1024),
      'http.response.status_code': 401,
    });
    expect(span.name).toBe('HTTP /v1/chat/completions');
    expect(JSON.stringify(span).length).toBeLessThan(4_500);
  });

  it('keeps values at the limit whole, and cuts to a configured limit without splitting a surrogate pair', async () => {
    expect((await unauthenticated({ 'user-agent': 'u'.repeat(1024) })).attributes['user_agent.original']).toBe('u'.repeat(1024));
    expect((await unauthenticated({ 'user-agent': 'curl/8.5.0 🚀' }, 'POST', 12)).attributes['user_agent.original']).toBe('curl/8.5.0 ');
  });

  it("cuts what an upstream's answer names on an attempt span, strings in lists too", async () => {
    const exported: SpanData[] = [];
    const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: 1 });
    tracer.onAttempt(attempt({ requestId: 'long', response: { id: 'i'.repeat(50_000), model: 'm'.repeat(2_000), finishReason: 'f'.repeat(3_000) } }));
    await tracer.close();
    expect(exported[0]?.attributes).toMatchObject({ 'gen_ai.response.id': 'i'.repeat(1024), 'gen_ai.response.model': 'm'.repeat(1024), 'gen_ai.response.finish_reasons': ['f'.repeat(1024)] });
  });
});

describe('attempt span status', () => {
  it('marks every attempt that carries error.type as failed, a cancelled one too, as the server span of a cancelled stream is', async () => {
    const exported: SpanData[] = [];
    const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: 1 });
    tracer.onAttempt(attempt({ requestId: 'ok' }));
    tracer.onAttempt(attempt({ requestId: 'failed', outcome: 'error', error: new GatewayError({ kind: 'upstream_error', message: 'x' }) }));
    tracer.onAttempt(attempt({ requestId: 'cancelled', outcome: 'cancelled', error: new GatewayError({ kind: 'cancelled', message: 'x' }) }));
    await tracer.close();
    expect(exported.map((s) => [s.attributes['error.type'], s.status])).toEqual([
      [undefined, { code: 0 }],
      ['upstream_error', { code: 2, message: 'upstream_error' }],
      ['cancelled', { code: 2, message: 'cancelled' }],
    ]);
  });
});

describe('attempt span usage', () => {
  it("records the gateway's estimate in gen_ai.usage.* flagged by switchyard.usage_estimated (the conventions have no flag of their own), the upstream's count unflagged, and neither without usage", async () => {
    const exported: SpanData[] = [];
    const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: 1 });
    tracer.onAttempt(attempt({ requestId: 'reported' }));
    tracer.onAttempt(attempt({ requestId: 'estimated', usage: makeUsage({ prompt: 250, completion: 40 }), usageEstimated: true }));
    tracer.onAttempt(attempt({ requestId: 'none', usage: undefined, outcome: 'error', error: new GatewayError({ kind: 'upstream_error', message: 'x' }) }));
    await tracer.close();
    expect(exported.map((s) => [s.attributes['gen_ai.usage.input_tokens'], s.attributes['gen_ai.usage.output_tokens'], s.attributes['switchyard.usage_estimated']])).toEqual([
      [1000, 100, false],
      [250, 40, true],
      [undefined, undefined, undefined],
    ]);
  });
});

describe('attempt span request parameters (GenAI conventions)', () => {
  const PARAMS = ['gen_ai.request.top_k', 'gen_ai.request.seed', 'gen_ai.request.presence_penalty', 'gen_ai.request.frequency_penalty', 'gen_ai.request.stop_sequences', 'gen_ai.output.type'];
  const paramsOf = (span: SpanData): unknown[] => PARAMS.map((name) => span.attributes[name]);

  it('records seed, top_k, the penalties, stop sequences and output type, the doubles as doubles even when whole, each only when the request has it', async () => {
    const exported: SpanData[] = [];
    const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: 1 });
    const base = { maxTokens: 64, temperature: 0.2, topP: undefined };
    tracer.onAttempt(attempt({ requestId: 'all', params: { ...base, topK: 40, seed: 7, presencePenalty: 0.5, frequencyPenalty: 1, stopSequences: ['END', '###'], outputType: 'json' } }));
    tracer.onAttempt(attempt({ requestId: 'text', params: { ...base, outputType: 'text' } }));
    tracer.onAttempt(attempt({ requestId: 'none', params: base }));
    await tracer.close();
    expect(exported.map(paramsOf)).toEqual([
      [{ double: 40 }, 7, { double: 0.5 }, { double: 1 }, ['END', '###'], 'json'],
      [undefined, undefined, undefined, undefined, undefined, 'text'],
      [undefined, undefined, undefined, undefined, undefined, undefined],
    ]);
  });

  it('records at most 16 stop sequences, so a request listing thousands cannot swell its span in the export queue', async () => {
    const exported: SpanData[] = [];
    const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: 1 });
    const stops = Array.from({ length: 5_000 }, (_, i) => `stop-${i}`);
    tracer.onAttempt(attempt({ requestId: 'many', params: { maxTokens: undefined, temperature: undefined, topP: undefined, stopSequences: stops } }));
    await tracer.close();
    expect(exported[0]?.attributes['gen_ai.request.stop_sequences']).toEqual(stops.slice(0, 16));
  });
});

describe('traceparent', () => {
  it('accepts a valid version 00 header and refuses invalid ones', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true });
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later')).toMatchObject({ sampled: false });
    for (const bad of ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', 'garbage']) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
    expect(parseTraceparent(['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x'])).toBeUndefined();
  });
});
