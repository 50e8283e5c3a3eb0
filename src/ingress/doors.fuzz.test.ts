import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { isBodyStream, type HttpHandler, type HttpResponse } from '../http/exchange.js';
import { createHttpHandler } from '../http/handler.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { SIM_CREDENTIALS, startBedrockSim } from '../sim/bedrock/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { createSimServiceAccount } from '../sim/vertex/credentials.js';
import { startVertexSim } from '../sim/vertex/index.js';
import { Conversations } from './openai-responses/store/conversations.js';
import { MemoryConversationStore } from './openai-responses/store/memory.js';
import type { ConversationStore } from './openai-responses/store/store.js';
import { DOORS, OPENAI_RESPONSES, type DoorSeeds } from './testing/door-seeds.js';
import { mutatedBodies, prototypeSweep, type MutatedBody } from './testing/mutate.js';
import { anthropicShapeProblem, openAIShapeProblem } from './testing/error-shapes.js';
import { CONVERSE_WIRE, GEMINI_WIRE, MESSAGES_WIRE, OPENAI_CHAT_WIRE, wireViolations, type WireShape } from './testing/wire-shapes.js';

/*
 * Every front door, streaming and not, answers a few thousand seeded mutations of valid requests
 * (values, keys, duplicated keys, raw numbers and bytes, headers, query strings) through the
 * runtime-neutral handler, to an OpenAI-compatible, an Anthropic, a Gemini and a Bedrock upstream (simulators on
 * loopback that answer well: no case asks an upstream to fail). For every case: no 5xx; an error in the
 * door's exact shape; no attempt recorded and no response stored for a refusal that called no upstream;
 * and the body an upstream received holds only keys its wire format allows, never a key the client
 * planted. FUZZ_SEED and FUZZ_DOOR_CASES explore beyond the fixed run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_301);
const CASES = Number(process.env.FUZZ_DOOR_CASES ?? 250);
const PROJECT = 'fuzz-doors';

interface Upstream {
  deployment: string;
  sim: SimServer;
  wire: WireShape;
}

interface Outcome {
  status: number;
  body: string;
  contentType: string | undefined;
}

/** What is wrong with an answer, or undefined. */
function answerProblem(door: DoorSeeds, o: Outcome): string | undefined {
  if (o.status >= 500) return `status ${o.status}`;
  if (o.status === 200) {
    // Upstreams that answer well: a stream's error event, if any, is a client's mistake, never a server's.
    return /"type":"(server_error|api_error)"/.test(o.body) ? 'server error event in a stream' : undefined;
  }
  if (o.status < 400) return `status ${o.status}`;
  if (o.contentType !== 'application/json') return `content-type ${o.contentType}`;
  let json: unknown;
  try {
    json = JSON.parse(o.body);
  } catch {
    return 'error body is not JSON';
  }
  return door.name === 'anthropic-messages' ? anthropicShapeProblem(json) : openAIShapeProblem(json);
}

async function collect(answer: HttpResponse): Promise<string> {
  if (!isBodyStream(answer.body)) return typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body).toString('utf8');
  let text = '';
  for await (const chunk of answer.body) text += chunk;
  return text;
}

describe('mutated requests through every front door', () => {
  const sims: SimServer[] = [];
  const upstreams: Upstream[] = [];
  let gateway: Gateway;
  let handle: HttpHandler;
  let previous: string;
  let saves = 0;
  const logged: string[] = [];
  const records: AttemptRecord[] = [];
  const logger: Logger = { ...silentLogger, error: (obj, msg) => logged.push(`${msg ?? ''}: ${JSON.stringify(obj).slice(0, 600)}`) };

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [openai, anthropic, vertex, bedrock] = await Promise.all([
      startOpenAISim({ apiKey: 'sk-test' }),
      startAnthropicSim({ apiKey: 'sk-ant' }),
      startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
      startBedrockSim({ region: 'us-east-1' }),
    ]);
    sims.push(openai, anthropic, vertex, bedrock);
    upstreams.push(
      { deployment: 'openai', sim: openai, wire: OPENAI_CHAT_WIRE },
      { deployment: 'anthropic', sim: anthropic, wire: MESSAGES_WIRE },
      { deployment: 'gemini', sim: vertex, wire: GEMINI_WIRE },
      { deployment: 'bedrock', sim: bedrock, wire: CONVERSE_WIRE },
    );
    const parsed = parseConfig(
      {
        server: { body_limit_bytes: 4 * 1024 * 1024 },
        routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000, allow_direct_deployments: true },
        responses: { store: { enabled: true } },
        deployments: [
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-test' },
          // A Claude that takes a prefill: a Messages seed ends on one (Claude 4.6 and later refuse it before sending).
          { id: 'anthropic', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: anthropic.url, api_key: 'sk-ant', max_output_tokens: 64_000 },
          { id: 'gemini', provider: 'vertex', model: 'gemini-2.5-flash', project: PROJECT, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
          { id: 'bedrock', provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: bedrock.url, access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' },
        ],
      },
      { VERTEX_SA: account.json, AWS_KEY_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config, { logger, observers: [{ onAttempt: (r) => records.push(r) }] });
    const store = new MemoryConversationStore({ retentionMs: 3_600_000, maxEntries: 10_000, maxBytes: 256 * 1024 * 1024 });
    const counted: ConversationStore = {
      save: (id, owner, stored) => {
        saves += 1;
        return store.save(id, owner, stored);
      },
      begin: (id, owner, begun) => store.begin(id, owner, begun),
      finish: (id, owner, stored) => {
        saves += 1;
        return store.finish(id, owner, stored);
      },
      fail: (id, owner, failed) => {
        saves += 1;
        return store.fail(id, owner, failed);
      },
      abandon: (id, owner) => store.abandon(id, owner),
      load: (id, owner) => store.load(id, owner),
      answered: (id, owner) => store.answered(id, owner),
      delete: (id, owner) => store.delete(id, owner),
    };
    const conversations = new Conversations(counted, logger);
    handle = createHttpHandler(gateway, { logger, conversations: () => conversations });
    // A stored response for the seeds that continue one.
    const first = await handle({ method: 'POST', path: '/v1/responses', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ model: 'openai', input: 'Hi' })), signal: new AbortController().signal });
    previous = (JSON.parse(await collect(first)) as { id: string }).id;
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  async function send(door: DoorSeeds, c: Pick<MutatedBody, 'body' | 'headers' | 'query'>): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (door.name === 'anthropic-messages') headers['anthropic-version'] = '2023-06-01';
    Object.assign(headers, c.headers);
    const answer = await handle({ method: 'POST', path: door.path, query: c.query, headers, body: c.body, signal: new AbortController().signal });
    return { status: answer.status, body: await collect(answer), contentType: answer.headers['content-type'] };
  }

  it('answers every seed, streamed and not, through every door to every upstream (the fuzzer starts from valid requests)', async () => {
    const failed: string[] = [];
    for (const door of DOORS) {
      for (const u of upstreams) {
        for (const [i, seed] of door.seeds(u.deployment, previous).entries()) {
          // count_tokens takes no `stream` (an extra input there): its seeds go as they are.
          const modes: Array<boolean | undefined> = door.path.endsWith('count_tokens') ? [undefined] : seed.stream === true ? [true] : [false, true];
          for (const stream of modes) {
            const o = await send(door, { body: Buffer.from(JSON.stringify(stream === undefined ? seed : { ...seed, stream })), headers: {}, query: '' });
            if (o.status !== 200) failed.push(`${door.path} → ${u.deployment} seed ${i}${stream === true ? ' stream' : ''}: ${o.status} ${o.body.slice(0, 300)}`);
          }
        }
      }
    }
    expect(failed).toEqual([]);
  });

  /** Runs one door's cases to one upstream, one at a time so each upstream body is the case's own. */
  async function fuzz(door: DoorSeeds, upstream: Upstream, seed: number): Promise<{ bad: string[]; upstreamCalls: number }> {
    const bad: string[] = [];
    let upstreamCalls = 0;
    const seeds = door.seeds(upstream.deployment, previous);
    for (const c of [...prototypeSweep(seeds, door), ...mutatedBodies(seed, CASES, seeds, door)]) {
      // A header may route the request elsewhere: whichever upstream was called is the one checked.
      const before = upstreams.map((u) => u.sim.stats.total);
      const savesBefore = saves;
      records.length = 0;
      const o = await send(door, c);
      const where = `${door.path} → ${upstream.deployment}: ${c.label.slice(0, 400)}`;
      const problem = answerProblem(door, o);
      if (problem) bad.push(`${where}: ${problem}: ${o.body.slice(0, 300)}`);
      const called = upstreams.find((u, i) => u.sim.stats.total > (before[i] as number));
      if (called) {
        upstreamCalls += 1;
        const sent = called.sim.lastRequest?.body.toString('utf8') ?? '';
        const violations = wireViolations(JSON.parse(sent) as unknown, called.wire);
        if (violations.length > 0) bad.push(`${where}: ${called.deployment} got keys outside its wire format: ${violations.slice(0, 5).join(', ')}`);
        if (c.canary !== undefined && sent.includes(c.canary)) bad.push(`${where}: the planted key reached ${called.deployment}`);
      } else if (o.status >= 400) {
        const billed = records.filter((r) => !(r.outcome === 'error' && r.error?.unsent === true));
        if (billed.length > 0) bad.push(`${where}: a refusal that called no upstream recorded ${billed.length} attempt(s)`);
      }
      if (o.status !== 200 && saves !== savesBefore) bad.push(`${where}: a refused request stored a response`);
    }
    return { bad, upstreamCalls };
  }

  for (const [d, door] of DOORS.entries()) {
    it(`${door.path}: no 5xx, errors in the door's shape, only allow-listed keys upstream`, async () => {
      const bad: string[] = [];
      for (const [u, upstream] of upstreams.entries()) {
        const run = await fuzz(door, upstream, SEED + d * 10 + u);
        bad.push(...run.bad);
        // The mutations must leave enough requests valid that upstream bodies get checked at all.
        // A twentieth: the Messages doors refuse more than the others (count_tokens every parameter that is
        // not prompt, both sampling under the SDK's anthropic-version), so fewer of their mutants stay valid
        // (FUZZ_SEED=7 at 1,500 cases: 100 reached Anthropic by count_tokens, 149 OpenAI by /v1/messages).
        const counted = door.path.endsWith('count_tokens') && upstream.deployment === 'openai';
        if (!counted) expect(run.upstreamCalls, `${door.path} → ${upstream.deployment}`).toBeGreaterThan(CASES / 20);
      }
      expect(bad.slice(0, 30)).toEqual([]);
      expect(logged.slice(0, 5)).toEqual([]);
    }, 30_000);
  }

  it('keeps nothing of a refused Responses request that continued a stored one', async () => {
    const before = saves;
    const o = await send(OPENAI_RESPONSES, { body: Buffer.from(JSON.stringify({ model: 'openai', previous_response_id: previous, input: [{ role: 'wizard', content: 'x' }] })), headers: {}, query: '' });
    expect(o.status).toBe(400);
    expect(saves).toBe(before);
  });
});
