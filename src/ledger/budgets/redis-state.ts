import { Redis } from 'ioredis';
import type { Logger } from '../../core/logger.js';
import { RELEASE, RESERVE, SEED, SEED_STATUS, SETTLE, type Script } from './redis-scripts.js';
import type { BudgetState, CounterRef, ReserveResult, SeedStatus } from './state.js';

/** Counters outlive their period by this much, so answers that finish just after a reset still settle. */
const GRACE_MS = 3_600_000;

export interface RedisBudgetStateOptions {
  /** redis:// URL; ignored when `client` is given. */
  url?: string;
  /** A connection to use (not closed by `close`). */
  client?: Redis;
  /** Key namespace, e.g. `switchyard:`. */
  prefix?: string;
  logger: Logger;
  now?: () => number;
}

/**
 * Budget counters shared by every replica through Redis. Each operation is one Lua script, atomic
 * over all the counters of a request, so concurrent reservations from several gateways cannot
 * overshoot a hard limit by more than one request's estimate. Keys carry the `{budget}` hash tag so
 * multi-counter scripts also run on Redis Cluster, and expire an hour after their period ends.
 */
export class RedisBudgetState implements BudgetState {
  private readonly redis: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly now: () => number;
  private down = false;

  constructor(private readonly o: RedisBudgetStateOptions) {
    this.owned = o.client === undefined;
    // One retry per command: budgets fail open quickly rather than hold requests during an outage.
    this.redis = o.client ?? new Redis(o.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    this.prefix = o.prefix ?? '';
    this.now = o.now ?? Date.now;
    this.redis.on('error', (err: Error) => {
      if (this.down) return;
      this.down = true;
      o.logger.warn({ err: err.message }, 'budget state: Redis unreachable');
    });
    this.redis.on('ready', () => {
      if (this.down) o.logger.info({}, 'budget state: Redis is back');
      this.down = false;
    });
  }

  private key(ref: CounterRef): string {
    return `${this.prefix}{budget}:${ref.counter}`;
  }

  private ttl(ref: CounterRef): string {
    return String(Math.max(1, ref.expiresAt + GRACE_MS - this.now()));
  }

  /** Fails fast while Redis is known to be down, so an outage costs requests no latency. */
  private check(): void {
    if (this.down) throw new Error('budget state: Redis unreachable');
  }

  private async run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    this.check();
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return this.redis.eval(s.lua, keys.length, ...keys, ...args);
    }
  }

  async reserve(refs: readonly CounterRef[], amount: number): Promise<ReserveResult> {
    const args = [String(amount), String(this.now()), ...refs.flatMap((r) => [r.hardUsd === undefined ? '' : String(r.hardUsd), this.ttl(r)])];
    const reply = (await this.run(RESERVE, refs.map((r) => this.key(r)), args)) as string[];
    if (reply[0] === '1') return { ok: true, unseeded: reply.slice(1).map(Number) };
    return { ok: false, refused: Number(reply[1]), spent: Number(reply[2]), reserved: Number(reply[3]), unseeded: reply.slice(4).map(Number) };
  }

  async release(refs: readonly CounterRef[], amount: number): Promise<void> {
    await this.run(RELEASE, refs.map((r) => this.key(r)), [String(amount)]);
  }

  async settle(refs: readonly CounterRef[], cost: number, fromReserved: number): Promise<Array<number | undefined>> {
    const reply = (await this.run(SETTLE, refs.map((r) => this.key(r)), [String(cost), String(fromReserved)])) as string[];
    return reply.map((v) => (v === '' ? undefined : Number(v)));
  }

  async seedStatus(ref: CounterRef): Promise<SeedStatus> {
    const [seeded, since] = (await this.run(SEED_STATUS, [this.key(ref)], [String(this.now()), this.ttl(ref)])) as [string, string];
    return { seeded: seeded === '1', since: Number(since) };
  }

  async seed(ref: CounterRef, spentBefore: number): Promise<void> {
    await this.run(SEED, [this.key(ref)], [String(spentBefore), String(this.now()), this.ttl(ref)]);
  }

  async claimNotice(ref: CounterRef): Promise<boolean> {
    this.check();
    const ok = await this.redis.set(`${this.prefix}{budget}:notice:${ref.counter}`, '1', 'PX', Number(this.ttl(ref)), 'NX');
    return ok === 'OK';
  }

  /** A counter's raw fields (tests, diagnostics). */
  async peek(ref: CounterRef): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key(ref));
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
