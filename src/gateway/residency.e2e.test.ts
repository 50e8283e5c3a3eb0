import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { createGateway } from './gateway.js';

/**
 * Residency, the group's policy and the caller's access hold on every path besides the main one that
 * sends a client's prompt (or what is made of it) upstream: shadow copies, stream resumption, the
 * response cache, token counting, embeddings and their fallbacks, a stored Responses conversation
 * continued, and health probes. Each region is its own simulator, so "nothing reached the US" is a
 * count of requests the US simulators received.
 */

const SECRET = 'the EU-only customer record 4711';
const POLICY = 'GROUP-POLICY: answer as the assistant of ACME.';
const KEYS = { eu: 'key-eu', free: 'key-free', narrow: 'key-narrow' } as const;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

let server: RunningServer;
const sims: Record<'usClaude' | 'euClaude' | 'euClaudeB' | 'usEmbed' | 'euEmbed', SimServer> = {} as never;
const records: AttemptRecord[] = [];

async function post(path: string, key: string, body: object, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A stream: its text is what the spec reads.
  }
  return { status: res.status, headers: res.headers, text, json };
}

const chat = (model: string, content = SECRET, extra: object = {}): object => ({ model, messages: [{ role: 'user', content }], temperature: 0, ...extra });
/** Requests each simulator has received so far. */
const seen = (sim: SimServer): number => sim.stats.total;

beforeAll(async () => {
  const [usClaude, euClaude, euClaudeB, usEmbed, euEmbed] = await Promise.all([
    startAnthropicSim({ apiKey: 'sk-ant', name: 'us-claude' }),
    startAnthropicSim({ apiKey: 'sk-ant', name: 'eu-claude' }),
    startAnthropicSim({ apiKey: 'sk-ant', name: 'eu-claude-b' }),
    startOpenAISim({ apiKey: 'sk-test', name: 'us-embed' }),
    startOpenAISim({ apiKey: 'sk-test', name: 'eu-embed' }),
  ]);
  Object.assign(sims, { usClaude, euClaude, euClaudeB, usEmbed, euEmbed });
  const claude = (id: string, sim: SimServer, region: string): object => ({ id, provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: sim.url, api_key: 'sk-ant', region, tags: [region.slice(0, 2)] });
  const embedder = (id: string, sim: SimServer, region: string): object => ({
    id,
    provider: 'openai-compatible',
    model: 'text-embedding-3-small',
    endpoint: `${sim.url}/v1`,
    api_key: 'sk-test',
    region,
    tags: [region.slice(0, 2)],
  });
  const parsed = parseConfig(
    {
      routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000, allow_direct_deployments: false },
      api_keys: [
        { id: 'eu', key: '${K_EU}', team: 'shared', residency: 'eu' },
        { id: 'free', key: '${K_FREE}', team: 'shared' },
        { id: 'narrow', key: '${K_NARROW}', team: 'shared', groups: ['other'] },
      ],
      deployments: [
        claude('us-claude', usClaude, 'us-east-1'),
        claude('eu-claude', euClaude, 'eu-west-1'),
        claude('eu-claude-b', euClaudeB, 'eu-central-1'),
        embedder('us-embed', usEmbed, 'us-east-1'),
        embedder('eu-embed', euEmbed, 'eu-west-1'),
      ],
      groups: [
        // The US member first: whatever reaches the EU does so because residency held it back.
        { name: 'assist', deployments: ['us-claude', 'eu-claude'], system_prompt: POLICY, cache: { enabled: true } },
        { name: 'mirrored', deployments: ['eu-claude'], shadow: { share: 1, deployments: ['us-claude', 'eu-claude-b'] } },
        { name: 'resumable', deployments: ['eu-claude', 'us-claude', 'eu-claude-b'], stream_resume: true },
        { name: 'embed', deployments: ['us-embed', 'eu-embed'] },
        { name: 'other', deployments: ['eu-claude-b'] },
      ],
      responses: { store: { enabled: true } },
    },
    { K_EU: KEYS.eu, K_FREE: KEYS.free, K_NARROW: KEYS.narrow },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  server = await startServer(createGateway(parsed.config, { observers: [{ onAttempt: (r) => records.push(r) }] }), { port: 0 });
});

afterAll(async () => {
  await server.shutdown(100);
  await Promise.all(Object.values(sims).map((s) => s.close()));
});

/** The shadow records of one request, once `count` of them have ended. */
async function shadowsOf(requestId: string, count: number): Promise<string[]> {
  const of = (): AttemptRecord[] => records.filter((r) => r.requestId === requestId && r.role === 'shadow');
  for (let i = 0; i < 200 && of().length < count; i++) await new Promise((r) => setTimeout(r, 10));
  // Both copies leave at once: a copy to a third deployment would have ended by now too.
  await new Promise((r) => setTimeout(r, 50));
  return of()
    .map((r) => r.deployment)
    .sort();
}

describe('shadow copies', () => {
  it('mirror an unrestricted request to every standby the group names', async () => {
    const res = await post('/v1/chat/completions', KEYS.free, chat('mirrored'));
    expect(res.status).toBe(200);
    expect(await shadowsOf(res.headers.get('x-request-id') ?? '', 2)).toEqual(['eu-claude-b', 'us-claude']);
  });

  it('never mirror a request bound to the EU (by its key or by header) to a US standby', async () => {
    const us = seen(sims.usClaude);
    const byKey = await post('/v1/chat/completions', KEYS.eu, chat('mirrored'));
    const byHeader = await post('/v1/chat/completions', KEYS.free, chat('mirrored'), { 'x-switchyard-residency': 'eu' });
    for (const res of [byKey, byHeader]) {
      expect(res.status).toBe(200);
      expect(await shadowsOf(res.headers.get('x-request-id') ?? '', 1)).toEqual(['eu-claude-b']);
    }
    expect(seen(sims.usClaude)).toBe(us);
  });

  it('are never made of a pinned request, and a key may not reach a group it is not allowed by them', async () => {
    const pinned = await post('/v1/chat/completions', KEYS.free, chat('mirrored'), { 'x-switchyard-deployment': 'eu-claude' });
    expect(pinned.status).toBe(200);
    expect(await shadowsOf(pinned.headers.get('x-request-id') ?? '', 0)).toEqual([]);
    const us = seen(sims.usClaude);
    const refused = await post('/v1/chat/completions', KEYS.narrow, chat('mirrored'));
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: 'model_not_allowed' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen(sims.usClaude)).toBe(us);
  });
});

describe('stream resumption', () => {
  it('continues an unrestricted stream on the next planned deployment, wherever it is', async () => {
    sims.euClaude.faults.add({ cut_after_chunks: 2, count: 1 });
    const res = await post('/v1/chat/completions', KEYS.free, chat('resumable', 'Tell me about failover', { stream: true }), { 'x-switchyard-extensions': 'true' });
    expect(res.text).toContain('"resumed":{"from":"eu-claude","to":"us-claude"}');
  });

  it('continues a stream bound to the EU only in the EU, the US member skipped though it is next', async () => {
    const us = seen(sims.usClaude);
    for (const [key, headers] of [
      [KEYS.eu, {}],
      [KEYS.free, { 'x-switchyard-residency': 'eu' }],
    ] as const) {
      sims.euClaude.faults.add({ cut_after_chunks: 2, count: 1 });
      const res = await post('/v1/chat/completions', key, chat('resumable', SECRET, { stream: true }), { ...headers, 'x-switchyard-extensions': 'true' });
      expect(res.text).toContain('"resumed":{"from":"eu-claude","to":"eu-claude-b"}');
      expect(res.text).toContain('data: [DONE]');
    }
    expect(seen(sims.usClaude)).toBe(us);
  });

  it('ends a stream bound to the EU with its error when no EU deployment is left, rather than resume in the US', async () => {
    const us = seen(sims.usClaude);
    sims.euClaude.faults.add({ cut_after_chunks: 2, count: 1 });
    sims.euClaudeB.faults.add({ status: 503, count: 1 });
    const res = await post('/v1/chat/completions', KEYS.eu, chat('resumable', SECRET, { stream: true }));
    expect(res.status).toBe(200);
    expect(res.text).toContain('"error"');
    expect(res.text).not.toContain('data: [DONE]');
    expect(seen(sims.usClaude)).toBe(us);
    sims.euClaudeB.faults.clear();
  });
});

describe('the response cache', () => {
  it('never answers a caller bound to the EU with an answer made in the US, within one team and group', async () => {
    const question = chat('assist', 'What is the capital of France?');
    const made = await post('/v1/chat/completions', KEYS.free, question);
    expect(made.headers.get('x-switchyard-deployment')).toBe('us-claude');
    expect(made.headers.get('x-switchyard-cache')).toBe('miss');
    expect((await post('/v1/chat/completions', KEYS.free, question)).headers.get('x-switchyard-cache')).toBe('hit');

    for (const [key, headers] of [
      [KEYS.eu, {}],
      [KEYS.free, { 'x-switchyard-residency': 'eu' }],
    ] as const) {
      const eu = await post('/v1/chat/completions', key, question, headers);
      expect(eu.status).toBe(200);
      expect(eu.headers.get('x-switchyard-deployment')).toBe('eu-claude');
    }
  });

  it('keys the group policy and the caller access: a key of the same team not allowed the group gets no hit', async () => {
    const question = chat('assist', 'What is the capital of Spain?');
    expect((await post('/v1/chat/completions', KEYS.free, question)).headers.get('x-switchyard-cache')).toBe('miss');
    const narrow = await post('/v1/chat/completions', KEYS.narrow, question);
    expect(narrow.status).toBe(403);
    expect(narrow.json).toMatchObject({ error: { code: 'model_not_allowed' } });
    // The answer was made for the group's policy: the upstream had the group's system prompt.
    expect(sims.usClaude.lastRequest?.body.toString()).toContain(POLICY);
  });
});

describe('token counting', () => {
  it("counts a prompt bound to the EU with an EU deployment's counter, the group's system prompt in it", async () => {
    const us = seen(sims.usClaude);
    const before = sims.euClaude.stats.requests['POST /v1/messages/count_tokens'] ?? 0;
    const body = { model: 'assist', messages: [{ role: 'user', content: SECRET }] };
    const res = await post('/v1/messages/count_tokens', KEYS.eu, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-deployment')).toBe('eu-claude');
    expect(sims.euClaude.stats.requests['POST /v1/messages/count_tokens']).toBe(before + 1);
    expect(sims.euClaude.lastRequest?.body.toString()).toContain(POLICY);
    const byHeader = await post('/v1/messages/count_tokens', KEYS.free, body, { 'x-switchyard-residency': 'eu' });
    expect(byHeader.headers.get('x-switchyard-deployment')).toBe('eu-claude');
    expect(seen(sims.usClaude)).toBe(us);
  });

  it('refuses a count pinned to a US deployment for an EU caller, and a count of a group the key may not use', async () => {
    const us = seen(sims.usClaude);
    const body = { model: 'assist', messages: [{ role: 'user', content: SECRET }] };
    const pinned = await post('/v1/messages/count_tokens', KEYS.eu, body, { 'x-switchyard-deployment': 'us-claude' });
    expect(pinned.status).toBe(403);
    expect(pinned.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    const narrow = await post('/v1/messages/count_tokens', KEYS.narrow, body);
    expect(narrow.status).toBe(403);
    expect(seen(sims.usClaude)).toBe(us);
  });
});

describe('embeddings', () => {
  it('falls back from one member to the next for an unrestricted caller', async () => {
    sims.usEmbed.faults.add({ status: 503, count: 1 });
    const res = await post('/v1/embeddings', KEYS.free, { model: 'embed', input: 'hello' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-deployment')).toBe('eu-embed');
  });

  it('embeds texts bound to the EU only in the EU, and never falls back to the US when the EU member fails', async () => {
    const us = seen(sims.usEmbed);
    const ok = await post('/v1/embeddings', KEYS.eu, { model: 'embed', input: SECRET });
    expect(ok.headers.get('x-switchyard-deployment')).toBe('eu-embed');
    sims.euEmbed.faults.add({ status: 503, count: 1 });
    const failed = await post('/v1/embeddings', KEYS.free, { model: 'embed', input: SECRET }, { 'x-switchyard-residency': 'eu' });
    expect(failed.status).toBe(503);
    const pinned = await post('/v1/embeddings', KEYS.eu, { model: 'embed', input: SECRET }, { 'x-switchyard-deployment': 'us-embed' });
    expect(pinned.status).toBe(403);
    expect(pinned.json).toMatchObject({ error: { code: 'residency_violation' } });
    expect((await post('/v1/embeddings', KEYS.narrow, { model: 'embed', input: SECRET })).status).toBe(403);
    expect(seen(sims.usEmbed)).toBe(us);
  });
});

describe('a stored Responses conversation continued', () => {
  const client = (key: string): OpenAI => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
  const EU = { headers: { 'x-switchyard-residency': 'eu' } };

  it('stays in the EU when the turn that stored it was bound there by header and the next names no residency', async () => {
    const free = client(KEYS.free);
    const first = await free.responses.create({ model: 'assist', input: SECRET }, EU).withResponse();
    expect(first.response.headers.get('x-switchyard-deployment')).toBe('eu-claude');
    const us = seen(sims.usClaude);
    const next = await free.responses.create({ model: 'assist', previous_response_id: first.data.id, input: 'And then?' }).withResponse();
    expect(next.response.headers.get('x-switchyard-deployment')).toBe('eu-claude');
    const streamed = await free.responses.create({ model: 'assist', previous_response_id: next.data.id, input: 'More?', stream: true }).withResponse();
    expect(streamed.response.headers.get('x-switchyard-deployment')).toBe('eu-claude');
    for await (const event of streamed.data) if (event.type === 'response.completed') expect(event.response.status).toBe('completed');
    expect(seen(sims.usClaude)).toBe(us);
  });

  it('is refused, nothing sent, when the next turn asks for another residency', async () => {
    const free = client(KEYS.free);
    const first = await free.responses.create({ model: 'assist', input: SECRET }, EU);
    const us = seen(sims.usClaude);
    await expect(free.responses.create({ model: 'assist', previous_response_id: first.id, input: 'And then?' }, { headers: { 'x-switchyard-residency': 'us' } })).rejects.toMatchObject({
      status: 403,
      code: 'residency_violation',
      param: 'previous_response_id',
    });
    expect(seen(sims.usClaude)).toBe(us);
  });

  it("holds a key's residency and access, and keeps one key's conversation from another", async () => {
    const eu = await client(KEYS.eu).responses.create({ model: 'assist', input: SECRET }).withResponse();
    expect(eu.response.headers.get('x-switchyard-deployment')).toBe('eu-claude');
    await expect(client(KEYS.free).responses.create({ model: 'assist', previous_response_id: eu.data.id, input: 'Hi' })).rejects.toMatchObject({
      status: 400,
      code: 'previous_response_not_found',
    });
    const narrow = await client(KEYS.narrow).responses.create({ model: 'other', input: 'Hi' });
    await expect(client(KEYS.narrow).responses.create({ model: 'assist', previous_response_id: narrow.id, input: 'Hi' })).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
  });
});

describe('health probes', () => {
  it('carry no client content: each probe is its own one-word request', async () => {
    const [us, eu] = await Promise.all([startAnthropicSim({ apiKey: 'sk-ant', name: 'us' }), startAnthropicSim({ apiKey: 'sk-ant', name: 'eu' })]);
    const parsed = parseConfig({
      routing: { health: { enabled: true, interval_ms: 20, mode: 'request' } },
      deployments: [
        { id: 'us', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: us.url, api_key: 'sk-ant', tags: ['us'] },
        { id: 'eu', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: eu.url, api_key: 'sk-ant', tags: ['eu'] },
      ],
      groups: [{ name: 'g', deployments: ['us', 'eu'] }],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const probing = await startServer(createGateway(parsed.config), { port: 0 });
    try {
      const res = await fetch(`${probing.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-switchyard-residency': 'eu' },
        body: JSON.stringify(chat('g')),
      });
      expect(res.headers.get('x-switchyard-deployment')).toBe('eu');
      const after = { us: seen(us), eu: seen(eu) };
      for (let i = 0; i < 200 && (seen(us) <= after.us || seen(eu) <= after.eu); i++) await new Promise((r) => setTimeout(r, 10));
      for (const sim of [us, eu]) {
        const probe = JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as Record<string, unknown>;
        expect(probe).toMatchObject({ max_tokens: 1, messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }] });
        expect(JSON.stringify(probe)).not.toContain(SECRET);
      }
    } finally {
      await probing.shutdown(100);
      await Promise.all([us.close(), eu.close()]);
    }
  });
});
