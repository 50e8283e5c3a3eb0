import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeAdmission } from '../../../core/admission.js';
import { GatewayError } from '../../../core/errors.js';
import type { AdmissionControl, AttemptObserver } from '../../../core/events.js';
import { silentLogger } from '../../../core/logger.js';
import { resolveConfig } from '../../../config/load.js';
import type { ConfigInput } from '../../../config/schema.js';
import { createGateway, type Gateway } from '../../../gateway/gateway.js';
import { countersFor } from '../../../limits/counters.js';
import { openRateLimiter, rateLimitRules } from '../../../limits/open.js';
import type { RateLimitState } from '../../../limits/state.js';
import { startOpenAISim } from '../../../sim/openai/index.js';
import type { SimServer } from '../../../sim/server.js';
import { userRequest } from '../../../testing/canonical.js';
import { createLedger, type Ledger } from '../../index.js';
import { reservedCompletion, type BudgetGuard } from '../guard.js';
import type { BudgetState, CounterRef } from '../state.js';

/*
 * A gateway with a hard budget and rate limits in front of simulators whose usage is known, fired at
 * with waves of concurrent requests of every kind a request can end as, and the figures it leaves:
 * what the ledger recorded, each request's reservation, and the counters.
 */

/** Every deployment may answer at most this many tokens: each reservation holds its longest answer. */
export const MAX_OUTPUT = 64;
const TAGS = { key: 'k1', team: 'racers' };
/** A second key whose own request limit refuses it first: its budget ticket must be handed back. */
const LIMITED = { key: 'k2', team: 'racers' };
export const LIMITED_REQUESTS = 10;

/** The kinds of request a wave mixes, by index. */
const KINDS = ['plain', 'stream', 'cut', 'stream-cancelled', 'chat-cancelled', 'timeout', 'fallback', 'cached'] as const;
export type Kind = (typeof KINDS)[number];

export interface StressStores {
  budgetState: BudgetState;
  rateLimitState: RateLimitState;
  /** The ledger's store: a SQLite file, or PostgreSQL in this schema. */
  ledger: { store: 'sqlite' } | { store: 'postgres'; url: string; schema: string };
}

export interface StressRig {
  gateway: Gateway;
  ledger: Ledger;
  /** Per request id: its budget reservation (USD) and the cost and tokens of its attempts. */
  requests: Map<string, { reserved: number; cost: number; tokens: number; tags: Record<string, string> }>;
  budgetRefs(): CounterRef[];
  /** One request of this kind; its outcome: `answered`, `cache-hit`, or the refusal's or failure's kind. */
  fire(kind: Kind, id: string, tags?: Record<string, string>): Promise<string>;
  /** The rate-limit counters' figures for these tags (requests and tokens). */
  limitFigures(tags: Record<string, string>): Promise<Array<{ requests: number; tokens: number }>>;
  close(): Promise<void>;
}

export async function startRig(stores: StressStores, hardUsd: number): Promise<StressRig> {
  const sims: SimServer[] = [];
  const sim = async (faults?: Record<string, unknown>): Promise<string> => {
    const s = await startOpenAISim({ name: `sim${sims.length}`, models: ['gpt-4o-mini'] });
    if (faults) s.faults.add(faults);
    sims.push(s);
    return `${s.url}/v1`;
  };
  const deployment = (id: string, endpoint: string) => ({ id, provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint, max_output_tokens: MAX_OUTPUT });
  const deployments = [
    deployment('ok', await sim()),
    deployment('cut', await sim({ cut_after_chunks: 2 })),
    deployment('lag', await sim({ latency_ms: 30, inter_chunk_ms: 10 })),
    deployment('slow', await sim({ latency_ms: 400 })),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'budget-race-'));
  const input: ConfigInput = {
    deployments,
    groups: [
      { name: 'plain', deployments: ['ok'] },
      { name: 'cut', deployments: ['cut'] },
      { name: 'lag', deployments: ['lag'] },
      { name: 'slow', deployments: ['slow'] },
      { name: 'fallback', deployments: ['slow', 'ok'] },
      { name: 'cached', deployments: ['ok'], cache: { enabled: true } },
    ],
    // Timeouts fail over at once; no breaker opens mid-run, so every kind keeps its billed attempts.
    routing: { attempt_timeout_ms: 100, max_attempts_per_deployment: 1, breaker: { consecutive_failures: 100_000, min_requests: 100_000 } },
    ledger: stores.ledger.store === 'sqlite' ? { path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl') } : { store: 'postgres', url: stores.ledger.url, schema: stores.ledger.schema, spill_path: join(dir, 'spill.jsonl') },
    budgets: { limits: [{ name: 'hard', period: 'monthly', match: { team: 'racers' }, hard_usd: hardUsd }] },
    rate_limits: [
      { name: 'team', match: { team: 'racers' }, requests_per_day: 100_000, tokens_per_day: 10_000_000 },
      { name: 'k2', match: { key: 'k2' }, requests_per_day: LIMITED_REQUESTS },
    ],
  };
  const config = resolveConfig(input);
  const ledger = await createLedger(config, { budgetState: stores.budgetState, logger: silentLogger });
  const limits = await openRateLimiter(config, silentLogger, Date.now, stores.rateLimitState);
  if (!limits) throw new Error('expected rate limits');
  const requests: StressRig['requests'] = new Map();
  const key = (id: string) => ({ deployment: id, provider: 'openai-compatible', model: 'gpt-4o-mini', region: undefined });
  const admission = composeAdmission([ledger.admission, limits.limiter]);
  // Notes each admitted request's reservation, as the guard computes it, before it can spend.
  const recorded: AdmissionControl = {
    async admit(r) {
      const ticket = await admission.admit(r);
      const reserved = Math.max(...r.candidates.map((d) => ledger.prices.maxCost(key(d), r.estimatedPromptTokens, reservedCompletion(r.maxCompletionTokens, MAX_OUTPUT, config.budgets.default_completion_tokens)) ?? 0));
      requests.set(r.requestId, { reserved, cost: 0, tokens: 0, tags: r.tags });
      return ticket;
    },
  };
  const spend: AttemptObserver = {
    onAttempt(record) {
      if (record.cacheHit === true || record.error?.unsent === true) return;
      const r = requests.get(record.requestId);
      if (!r) throw new Error(`an attempt of a request never admitted: ${record.requestId}`);
      r.cost += ledger.prices.usdOf(record, record.usage) ?? 0;
      if (record.usage) r.tokens += record.usage.prompt + record.usage.completion;
    },
  };
  const gateway = createGateway(config, { logger: silentLogger, observers: [ledger.observer, limits.limiter, spend], admission: recorded, priceOf: (id) => ledger.priceOf(id) });

  const GROUP: Record<Kind, string> = { plain: 'plain', stream: 'plain', cut: 'cut', 'stream-cancelled': 'lag', 'chat-cancelled': 'lag', timeout: 'slow', fallback: 'fallback', cached: 'cached' };
  const fire = async (kind: Kind, id: string, tags: Record<string, string> = TAGS): Promise<string> => {
    // Every other request leaves max_tokens out: it then reserves the deployments' max_output_tokens.
    const asked = userRequest(GROUP[kind], kind === 'cached' ? 'the same question every time' : `question ${id}: tell me a story`, Number(id.replace(/\D/g, '')) % 2 ? { maxOutputTokens: 48, temperature: 0 } : { temperature: 0 });
    const client = new AbortController();
    const opts = { requestId: id, tags, signal: client.signal };
    try {
      if (kind === 'plain' || kind === 'timeout' || kind === 'fallback' || kind === 'cached') {
        if ((await gateway.chat(asked, opts)).cache === 'hit') return 'cache-hit';
      } else if (kind === 'chat-cancelled') {
        setTimeout(() => client.abort(), 15);
        await gateway.chat(asked, opts);
      } else {
        const { parts } = await gateway.stream(asked, opts);
        for await (const p of parts) if (kind === 'stream-cancelled' && p.type === 'text') client.abort();
      }
      return 'answered';
    } catch (err) {
      if (!GatewayError.isInstance(err)) throw err;
      return err.kind;
    }
  };

  const refsOf = (tags: Record<string, string>) => countersFor(rateLimitRules(config), tags, undefined, Date.now());
  return {
    gateway,
    ledger,
    requests,
    fire,
    budgetRefs: () => (ledger.admission as BudgetGuard).countersFor(TAGS, Date.now()),
    // Zero tokens and no request: reads the figures without changing them.
    limitFigures: async (tags) => (await stores.rateLimitState.take(refsOf(tags), 0, 0)).figures,
    async close() {
      await gateway.close();
      await ledger.close();
      await limits.close();
      await Promise.all(sims.map((s) => s.close()));
    },
  };
}

/**
 * Waves of `concurrency` requests of every kind until the budget refuses a whole wave (cache hits
 * aside): with nothing in flight when it starts, its spend has then reached the hard limit. Each
 * outcome counted.
 */
export async function spendUntilRefused(rig: StressRig, concurrency: number, maxWaves = 40): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  for (let wave = 0; wave < maxWaves; wave += 1) {
    const ends = await Promise.all(
      Array.from({ length: concurrency }, (_, i) => {
        const n = wave * concurrency + i;
        return rig.fire(KINDS[n % KINDS.length] as Kind, `r${n}`, n % 5 === 4 ? LIMITED : TAGS);
      }),
    );
    for (const e of ends) outcomes.set(e, (outcomes.get(e) ?? 0) + 1);
    if (ends.every((e) => e === 'budget_exceeded' || e === 'cache-hit')) break;
  }
  return outcomes;
}
