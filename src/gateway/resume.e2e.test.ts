import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { resolveConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import { seededRandom } from '../core/random.js';
import type { StreamPart } from '../core/types.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { SIM_CREDENTIALS, startBedrockSim } from '../sim/bedrock/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { FaultRule } from '../sim/faults.js';
import type { SimServer } from '../sim/server.js';
import { createSimServiceAccount } from '../sim/vertex/credentials.js';
import { startVertexSim } from '../sim/vertex/index.js';
import type { CostFn } from '../http/route.js';
import { startServer } from '../adapters/node/server.js';
import { silentLogger } from '../core/logger.js';
import { openRateLimiter } from '../limits/open.js';
import { createGateway } from './gateway.js';
import { CONTINUE_INSTRUCTION } from './resume.js';
import { userRequest } from '../testing/canonical.js';

/**
 * Streams cut at seeded random points on one provider go on from another in the same answer: the
 * client's text is exactly the part it had plus the continuation, nothing repeated, nothing lost.
 */

const QUESTION = 'Tell me about failover in one short sentence please';
const PROJECT = 'resume-project';

interface Upstream {
  sim: SimServer;
  deployment: { provider: string; model: string } & Record<string, unknown>;
  /** The model name the simulator answers as ("Hello from <model>!"). */
  model: string;
  /** Whether the simulator can break a stream with an in-stream error event (else the connection is cut). */
  streamErrors: boolean;
  /** How the continuation request carries the partial answer on this wire. */
  carried: (wire: Record<string, unknown>, prefix: string) => void;
}

const env = { AWS_KEY_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: '' };
const upstreams: Record<string, Upstream> = {};

/** The words of a simulator's answer, as it streams them. */
function answerWords(model: string): string[] {
  return `Hello from ${model}! You said: ${QUESTION}.`.split(/(?<= )/);
}

beforeAll(async () => {
  const account = createSimServiceAccount(PROJECT);
  env.VERTEX_SA = account.json;
  const [openai, vllm, anthropic, bedrock, vertex] = await Promise.all([
    startOpenAISim({ name: 'openai' }),
    startOpenAISim({ name: 'vllm' }),
    startAnthropicSim({}),
    startBedrockSim({ region: 'us-east-1' }),
    startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
  ]);
  const lastTwo = (wire: Record<string, unknown>): unknown[] => (wire.messages as unknown[]).slice(-2);
  upstreams.openai = {
    sim: openai,
    model: 'gpt-4o-mini',
    deployment: { provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1` },
    streamErrors: true,
    carried: (wire, prefix) => {
      expect(lastTwo(wire)).toEqual([{ role: 'assistant', content: prefix }, { role: 'user', content: CONTINUE_INSTRUCTION }]);
      expect(wire.continue_final_message).toBeUndefined();
    },
  };
  upstreams.vllm = {
    sim: vllm,
    model: 'llama-3.3-70b',
    deployment: { provider: 'openai-compatible', model: 'llama-3.3-70b', endpoint: `${vllm.url}/v1`, prefill: true },
    streamErrors: true,
    carried: (wire, prefix) => {
      expect((wire.messages as unknown[]).at(-1)).toEqual({ role: 'assistant', content: prefix });
      expect(wire).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    },
  };
  // Claude 4.6 and later refuse a prefill: the partial answer is followed by the instruction.
  upstreams.anthropic = {
    sim: anthropic,
    model: 'claude-sonnet-4-6',
    deployment: { provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropic.url, api_key: 'sk-ant-test' },
    streamErrors: true,
    carried: (wire, prefix) =>
      expect(lastTwo(wire)).toEqual([
        { role: 'assistant', content: [{ type: 'text', text: prefix }] },
        { role: 'user', content: [{ type: 'text', text: CONTINUE_INSTRUCTION }] },
      ]),
  };
  // Earlier Claude models continue a final assistant message.
  upstreams['anthropic-prefill'] = {
    sim: anthropic,
    model: 'claude-haiku-4-5',
    deployment: { provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: anthropic.url, api_key: 'sk-ant-test' },
    streamErrors: true,
    carried: (wire, prefix) => expect((wire.messages as unknown[]).at(-1)).toEqual({ role: 'assistant', content: [{ type: 'text', text: prefix }] }),
  };
  upstreams.bedrock = {
    sim: bedrock,
    model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    deployment: { provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: bedrock.url, access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' },
    streamErrors: true,
    carried: (wire, prefix) => expect((wire.messages as unknown[]).at(-1)).toEqual({ role: 'assistant', content: [{ text: prefix }] }),
  };
  upstreams.vertex = {
    sim: vertex,
    model: 'gemini-2.5-flash',
    deployment: { provider: 'vertex', model: 'gemini-2.5-flash', project: PROJECT, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
    streamErrors: false,
    carried: (wire, prefix) => expect((wire.contents as unknown[]).slice(-2)).toEqual([{ role: 'model', parts: [{ text: prefix }] }, { role: 'user', parts: [{ text: CONTINUE_INSTRUCTION }] }]),
  };
});

afterAll(async () => {
  await Promise.all([...new Set(Object.values(upstreams).map((u) => u.sim))].map((sim) => sim.close()));
});

function gatewayFor(from: string, to: string, records: AttemptRecord[], resume = true, idleMs = 60_000, fromExposes = false) {
  const a = upstreams[from] as Upstream;
  const b = upstreams[to] as Upstream;
  const config = resolveConfig(
    {
      routing: { max_attempts_per_deployment: 1, stream_idle_timeout_ms: idleMs },
      deployments: [
        { id: from, ...a.deployment, expose_upstream_errors: fromExposes },
        { id: to, ...b.deployment },
      ],
      groups: [{ name: 'chat', deployments: [from, to], stream_resume: resume }],
    },
    env,
  );
  return createGateway(config, { observers: [{ onAttempt: (r) => records.push(r) }] });
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const p of parts) out.push(p);
  return out;
}

const textOf = (parts: readonly StreamPart[]): string => parts.map((p) => (p.type === 'text' ? p.delta : '')).join('');

describe('stream_resume across provider pairs', () => {
  const PAIRS: Array<[string, string]> = [
    ['openai', 'anthropic'],
    ['bedrock', 'vertex'],
    ['anthropic', 'openai'],
    ['vertex', 'bedrock'],
    ['vllm', 'anthropic'],
    ['anthropic', 'vllm'],
    ['openai', 'anthropic-prefill'],
    ['anthropic-prefill', 'bedrock'],
  ];
  const random = seededRandom(11);

  for (const [from, to] of PAIRS) {
    it(`continues a stream cut on ${from} from ${to}, text exactly partial + continuation, both attempts billed`, async () => {
      const a = upstreams[from] as Upstream;
      const b = upstreams[to] as Upstream;
      const words = answerWords(a.model);
      for (let round = 0; round < 3; round++) {
        // A cut after at least one word and before the last: the client has some of the answer.
        const cut = 1 + Math.floor(random() * (words.length - 2));
        const fault: FaultRule = a.streamErrors && random() < 0.5 ? { stream_error_after_chunks: cut, count: 1 } : { cut_after_chunks: cut, count: 1 };
        a.sim.faults.add(fault);
        const records: AttemptRecord[] = [];
        const gateway = gatewayFor(from, to, records);
        try {
          const { parts, servedBy } = await gateway.stream(userRequest('chat', QUESTION));
          const out = await collect(parts);
          const partial = words.slice(0, cut).join('');
          const continuation = answerWords(b.model).slice(partial.trim().split(/\s+/).length).join('');
          expect(textOf(out), `cut ${cut} (${JSON.stringify(fault)})`).toBe(partial + continuation);
          expect(servedBy.deployment).toBe(from);
          b.carried(JSON.parse(b.sim.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>, partial.trimEnd());

          expect(out).toContainEqual({ type: 'provider-metadata', namespace: 'switchyard', data: { resumed: { from, to } } });
          expect(out.filter((p) => p.type === 'finish')).toEqual([{ type: 'finish', finishReason: 'stop' }]);
          // The continuation falls back from the broken deployment: `switchyard_fallbacks_total{from, to, cause}` and the span's `switchyard.fallback_from`.
          expect(records.map((r) => [r.deployment, r.role, r.outcome, r.cause, r.fallbackFrom])).toEqual([
            [from, 'primary', 'error', undefined, undefined],
            [to, 'fallback', 'ok', 'stream_resume', from],
          ]);
          const usage = out.find((p) => p.type === 'usage');
          expect(usage?.type).toBe('usage');
          if (usage?.type !== 'usage') return;
          // The client's usage is both attempts' (both were billed), each attempt recorded with its own.
          expect(usage.usage.prompt).toBe((records[0]?.usage?.prompt ?? 0) + (records[1]?.usage?.prompt ?? 0));
          expect(usage.usage.completion).toBe((records[0]?.usage?.completion ?? 0) + (records[1]?.usage?.completion ?? 0));
          expect(usage.attempts?.map((x) => [x.deployment, x.usage])).toEqual([
            [from, records[0]?.usage],
            [to, records[1]?.usage],
          ]);
          // The first attempt's usage is the gateway's count (a broken stream reports none).
          expect(usage.estimated).toBe(true);
        } finally {
          await gateway.close();
        }
      }
    });
  }
});

describe('stream_resume limits', () => {
  it('without stream_resume, a stream cut after its first text still ends with an honest error', async () => {
    upstreams.openai?.sim.faults.add({ cut_after_chunks: 3, count: 1 });
    const plain = gatewayFor('openai', 'anthropic', [], false);
    try {
      const { parts } = await plain.stream(userRequest('chat', QUESTION));
      await expect(collect(parts)).rejects.toMatchObject({ kind: 'network' });
    } finally {
      await plain.close();
    }
  });

  it('resumes a stream that stalled past the idle timeout', async () => {
    upstreams.anthropic?.sim.faults.add({ stall_after_chunks: 3, count: 1 });
    const records: AttemptRecord[] = [];
    const gateway = gatewayFor('anthropic', 'bedrock', records, true, 150);
    try {
      const { parts } = await gateway.stream(userRequest('chat', QUESTION));
      const text = textOf(await collect(parts));
      expect(text).toBe(answerWords('claude-sonnet-4-6').slice(0, 3).join('') + answerWords('us.anthropic.claude-3-5-haiku-20241022-v1:0').slice(3).join(''));
      expect(records.map((r) => [r.deployment, r.outcome, r.error?.kind])).toEqual([
        ['anthropic', 'error', 'timeout'],
        ['bedrock', 'ok', undefined],
      ]);
    } finally {
      await gateway.close();
    }
  });

  it('does not resume a stream that broke inside a tool call', async () => {
    upstreams.anthropic?.sim.faults.add({ cut_after_chunks: 1, count: 1 });
    const records: AttemptRecord[] = [];
    const gateway = gatewayFor('anthropic', 'openai', records);
    try {
      const { parts } = await gateway.stream(userRequest('chat', 'Please call the tool now', { tools: [{ name: 'search', parameters: { type: 'object' } }] }));
      await expect(collect(parts)).rejects.toMatchObject({ kind: 'network' });
      expect(records.map((r) => r.deployment)).toEqual(['anthropic']);
    } finally {
      await gateway.close();
    }
  });

  it('resumes under a requests_per_minute of 1: the continuation reserves tokens but counts no second request', async () => {
    upstreams.openai?.sim.faults.add({ cut_after_chunks: 3, count: 1 });
    const a = upstreams.openai as Upstream;
    const b = upstreams.anthropic as Upstream;
    const config = resolveConfig(
      {
        routing: { max_attempts_per_deployment: 1 },
        deployments: [
          { id: 'a', ...a.deployment },
          { id: 'b', ...b.deployment },
        ],
        groups: [{ name: 'chat', deployments: ['a', 'b'], stream_resume: true }],
        rate_limits: [{ name: 'rpm', group: 'chat', requests_per_minute: 1 }],
      },
      env,
    );
    // 30 s into a minute, held still: the window cannot turn between the stream and the next request.
    const opened = await openRateLimiter(config, silentLogger, () => Date.parse('2025-06-15T12:00:30Z'));
    if (!opened) throw new Error('expected a limiter');
    const limiter = opened.limiter;
    const gateway = createGateway(config, { admission: limiter, observers: [limiter] });
    try {
      const { parts, headers } = await gateway.stream(userRequest('chat', QUESTION));
      const out = await collect(parts);
      expect(out).toContainEqual({ type: 'provider-metadata', namespace: 'switchyard', data: { resumed: { from: 'a', to: 'b' } } });
      expect(textOf(out)).toBe(answerWords(a.model).slice(0, 3).join('') + answerWords(b.model).slice(3).join(''));
      expect(headers?.['x-ratelimit-remaining-requests']).toBe('0');
      expect(limiter.inFlight).toBe(0);
      // One request was counted: the next one is refused in the same minute.
      await expect(gateway.stream(userRequest('chat', QUESTION))).rejects.toMatchObject({ kind: 'rate_limited' });
    } finally {
      await gateway.close();
      await opened.close();
    }
  });

  it('fails honestly when no other deployment can go on', async () => {
    upstreams.openai?.sim.faults.add({ cut_after_chunks: 2, count: 1 });
    upstreams.anthropic?.sim.faults.add({ status: 503, error: 'api_error', count: 1 });
    const records: AttemptRecord[] = [];
    const gateway = gatewayFor('openai', 'anthropic', records);
    try {
      const { parts } = await gateway.stream(userRequest('chat', QUESTION));
      await expect(collect(parts)).rejects.toMatchObject({ kind: 'network' });
      expect(records.map((r) => [r.deployment, r.outcome, r.cause])).toEqual([
        ['openai', 'error', undefined],
        ['anthropic', 'error', 'stream_resume'],
      ]);
    } finally {
      await gateway.close();
    }
  });
});

describe('stream_resume through the server', () => {
  it('blames a break of the continuation on its own deployment, whose settings decide what the client reads', async () => {
    const records: AttemptRecord[] = [];
    // The first deployment shows its upstream's words; the one continuing does not.
    const gateway = gatewayFor('openai', 'anthropic', records, true, 60_000, true);
    const server = await startServer(gateway, { port: 0 });
    try {
      upstreams.openai?.sim.faults.add({ cut_after_chunks: 2, count: 1 });
      upstreams.anthropic?.sim.faults.add({ stream_error_after_chunks: 2, error_message: 'overloaded near http://10.9.9.9/internal', count: 1 });
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: QUESTION }] }),
      });
      const frames = (await res.text()).split('\n\n').filter((f) => f.startsWith('data: '));
      const last = JSON.parse((frames.at(-1) as string).slice(6)) as { error: { message: string } };
      expect(last.error.message).toContain('anthropic');
      expect(last.error.message).not.toContain('openai');
      expect(last.error.message).not.toContain('10.9.9.9');
      expect(records.map((r) => [r.deployment, r.outcome, r.error?.deployment])).toEqual([
        ['openai', 'error', 'openai'],
        ['anthropic', 'error', 'anthropic'],
      ]);
    } finally {
      await server.shutdown(100);
      await gateway.close();
    }
  });

  it('keeps one SSE answer: the official SDK reads partial + continuation, the last chunk marks the resume', async () => {
    const records: AttemptRecord[] = [];
    const gateway = gatewayFor('openai', 'bedrock', records);
    // Each deployment has its own price per token: the client's cost is each attempt at its own.
    const perToken: Record<string, number> = { openai: 0.000001, bedrock: 0.000003 };
    const costOf: CostFn = (by, usage) => ({ usd: (usage?.total ?? 0) * (perToken[by.deployment] ?? 0), priced: true });
    const server = await startServer(gateway, { port: 0, costOf });
    try {
      upstreams.openai?.sim.faults.add({ stream_error_after_chunks: 4, count: 1 });
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: QUESTION }], stream: true, stream_options: { include_usage: true } });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const c of stream) chunks.push(c);
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      const partial = answerWords('gpt-4o-mini').slice(0, 4).join('');
      expect(text).toBe(partial + answerWords('us.anthropic.claude-3-5-haiku-20241022-v1:0').slice(4).join(''));
      const last = chunks.at(-1) as OpenAI.Chat.Completions.ChatCompletionChunk & { switchyard_extensions?: unknown };
      expect(last.choices).toEqual([]);
      // A stream_resume group carries stream extensions (the continuing provider's too) on its last chunk.
      expect(last.switchyard_extensions).toMatchObject({ switchyard: { resumed: { from: 'openai', to: 'bedrock' } }, bedrock: { stopReason: 'end_turn' } });
      expect(last.usage?.completion_tokens).toBe((records[0]?.usage?.completion ?? 0) + (records[1]?.usage?.completion ?? 0));
      const cost = (last.usage as unknown as { switchyard: { cost_usd: number; estimated: boolean } }).switchyard;
      expect(cost.estimated).toBe(true);
      expect(cost.cost_usd).toBeCloseTo((records[0]?.usage?.total ?? 0) * 0.000001 + (records[1]?.usage?.total ?? 0) * 0.000003, 12);
      // Every other chunk keeps OpenAI's shape: one choice, no extension.
      for (const c of chunks.slice(0, -1)) expect(c.choices).toHaveLength(1);
    } finally {
      await server.shutdown(100);
      await gateway.close();
    }
  });
});
