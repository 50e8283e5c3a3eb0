import { randomBytes } from 'node:crypto';
import type { ReservedPart } from '../core/held-writes.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/error-trace.js';
import { script, type Script } from './lua-script.js';
import type { RedisCounters } from './redis-client.js';

/** A reservation's part on counters in Redis, naming the owner it is recorded under (`OwnerLease`). */
export interface OwnedPart extends ReservedPart {
  /** The owner (one lease of one replica) holding it; undefined for counters kept elsewhere. */
  owner?: string | undefined;
}

/** How long a lease lives without being refreshed: a replica dead this long gives its reservations back. */
export const LEASE_MS = 30_000;
/** How often a replica refreshes its leases: three chances per lease. */
export const HEARTBEAT_MS = 10_000;

export interface LeaseOptions {
  /** How long a lease lives unrefreshed; `LEASE_MS` by default. */
  ms?: number;
  /** How often the leases are refreshed; `HEARTBEAT_MS` by default. */
  heartbeatMs?: number;
  /** Runs `beat` every `everyMs` and returns what stops it: an unref'd `setInterval` by default (specs drive it). */
  schedule?: (beat: () => Promise<void>, everyMs: number) => () => void;
  /** This replica's id: random by default, one per state object (so one per process). */
  id?: string;
}

/*
 * Lua shared by the counter scripts. A counter's field `r:<owner>` holds what that owner's reservations
 * hold of the counter's total (`reserved` of a budget, `tokens` of a rate limit), which stays the sum of
 * them and of what a build without owners reserved (a rolling upgrade: that part stays as it always
 * did). An owner is alive while its field in the leases hash (`{budget}:leases`, `{ratelimit}:leases`)
 * holds a time still to come, on Redis's clock (`TIME`, so replicas' clocks never disagree on it). The
 * hash shares the counters' hash tag and is passed in KEYS with them: a script touches only keys it was
 * given, all in one Redis Cluster slot, as the Cluster requires (a key it was not given may be on another
 * node while the slot migrates).
 */
export const OWNER_LUA = `
local function clock_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function extend_leases(leases, ms)
  if redis.call('PTTL', leases) < tonumber(ms) then redis.call('PEXPIRE', leases, 2 * tonumber(ms)) end
end
local function hold_lease(leases, owner, ms, fresh, now, always)
  local expiry = tonumber(redis.call('HGET', leases, owner) or '0')
  if fresh ~= '1' and expiry <= now then return false end
  if always or fresh == '1' or expiry < now + tonumber(ms) / 2 then
    redis.call('HSET', leases, owner, string.format('%d', now + tonumber(ms)))
    extend_leases(leases, ms)
  end
  return true
end
local function reclaim(key, total, leases, now, incr)
  local fields = redis.call('HGETALL', key)
  local left = nil
  for j = 1, #fields, 2 do
    local f = fields[j]
    if string.sub(f, 1, 2) == 'r:' and tonumber(redis.call('HGET', leases, string.sub(f, 3)) or '0') <= now then
      left = redis.call(incr, key, total, '-' .. fields[j + 1])
      redis.call('HDEL', key, f)
    end
  end
  if left ~= nil and tonumber(left) < 1e-12 then redis.call('HSET', key, total, '0') end
  return tonumber(redis.call('HGET', key, total) or '0')
end
local function take_held(key, owner, amount, incr)
  if owner == '' then return amount end
  local f = 'r:' .. owner
  local held = redis.call('HGET', key, f)
  if not held then return '0' end
  if tonumber(held) <= tonumber(amount) then
    redis.call('HDEL', key, f)
    return held
  end
  if tonumber(redis.call(incr, key, f, '-' .. amount)) < 1e-12 then redis.call('HDEL', key, f) end
  return amount
end
`;
/*
 * clock_ms: Redis's time in ms. Scripts are replicated by their effects (Redis 5 on; the only way from 7),
 *   so reading the clock before writing is allowed.
 * extend_leases: keeps the hash at least `ms` to live, so it outlives every lease in it (each lives at most
 *   `ms`); by two, so that it is extended once a lease period rather than by every reserve.
 * hold_lease: refreshes `owner`'s lease to `now + ms`, creating it for a new one (`fresh`); false when it
 *   has lapsed, and then nothing may be recorded under it (its holdings may have been taken back already).
 *   A reserve only reads a lease with more than half its time left (a write per reserve cost Redis ~5 µs
 *   of its ~25); the heartbeat refreshes it whole (`always`), so a lease keeps its three beats' chances.
 * reclaim: takes back from `total` what owners whose lease expired hold on `key` (the new total). The
 *   scripts call it only when a check would refuse, which decides the same as reclaiming first and costs
 *   the requests that pass nothing: it reads every owner field of the counter.
 * take_held: what `owner` still holds of `amount` on `key` (a string), taken off its field: all of it, or
 *   less once its holdings were taken back, so a lapsed owner never gives back twice. An owner '' (a
 *   reservation without one) takes it from the plain total, as before owners.
 */

/**
 * KEYS: the leases hash. ARGV: lease ms, how many to refresh, then the owners to refresh and the owners to
 * drop. Also drops the leases that expired (dead replicas'). Reply: 1 or 0 (lapsed) per refreshed one.
 */
const BEAT = script(`${OWNER_LUA}
local clock = clock_ms()
local keep = tonumber(ARGV[2])
local reply = {}
for i = 3, #ARGV do
  if i - 2 <= keep then
    reply[i - 2] = hold_lease(KEYS[1], ARGV[i], ARGV[1], '', clock, true) and 1 or 0
  else
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
local leases = redis.call('HGETALL', KEYS[1])
for j = 1, #leases, 2 do
  if tonumber(leases[j + 1]) <= clock then redis.call('HDEL', KEYS[1], leases[j]) end
end
return reply
`);

/** One owner's reservations as this process knows them. */
interface Holdings {
  /** What they hold (the same on each counter of a reservation), as granted and not yet given back. */
  held: number;
  /** The largest single reservation: what is left below a billionth of it is float residue. */
  largest: number;
  /** Reserves sent under it and not answered: one may still be recorded. */
  pending: number;
}

const isUnreached = (err: unknown): boolean => (err as { unreached?: unknown } | undefined)?.unreached === true;

/**
 * The owners a replica records its reservations on Redis counters under, so that what a replica that
 * dies (SIGKILL, OOM, a lost node) still holds comes back once its lease expires, rather than when the
 * counter's period ends; the next reserve that needs the room takes it back (`OWNER_LUA`).
 *
 * An owner is `<id>.<n>`: a replica moves to a new one whenever Redis may hold under the current one
 * what this process does not know of, and never records under an old one again:
 * - a command whose outcome is unknown (it timed out, its connection closed): a reserve may have been
 *   applied, a release may not. The old owner's lease is kept while this process still holds
 *   reservations under it and dropped once they are given back; whatever Redis holds under it beyond
 *   them is taken back then. A reserve Redis runs after the drop finds no lease and records nothing.
 * - a lease that lapsed (a process paused past the lease): other replicas may have taken back its
 *   holdings; releases under it take only what it still holds (`take_held`), never twice.
 * Leases are refreshed by each reserve and by a heartbeat off the request path.
 */
export class OwnerLease {
  private readonly id: string;
  private readonly ms: string;
  private seq = 0;
  private owner: string;
  /** The current owner's lease was seen in Redis: refreshed by the heartbeat, never created again. */
  private confirmed = false;
  private readonly owners = new Map<string, Holdings>();
  private readonly stop: () => void;
  private beating = false;

  constructor(
    private readonly counters: RedisCounters,
    /** The leases hash: the counters' hash tag, then `:leases` (passed in KEYS after the counters). */
    readonly leases: string,
    private readonly logger: Logger | undefined,
    private readonly name: string,
    o: LeaseOptions = {},
  ) {
    this.id = o.id ?? randomBytes(6).toString('hex');
    this.ms = String(o.ms ?? LEASE_MS);
    this.owner = this.next();
    const schedule = o.schedule ?? every;
    this.stop = schedule(() => this.beat(), o.heartbeatMs ?? HEARTBEAT_MS);
  }

  private next(): string {
    const owner = `${this.id}.${this.seq}`;
    this.seq += 1;
    this.owners.set(owner, { held: 0, largest: 0, pending: 0 });
    this.confirmed = false;
    return owner;
  }

  /** The owner a reserve about to be sent is recorded under; `reserved` must follow. */
  reserving(): string {
    const h = this.owners.get(this.owner);
    if (h) h.pending += 1;
    return this.owner;
  }

  /** The scripts' lease arguments for `owner`: owner, lease ms, '1' to create its lease. */
  args(owner: string): [string, string, string] {
    return [owner, this.ms, owner === this.owner && !this.confirmed ? '1' : ''];
  }

  /**
   * Runs a reserving script under the current owner: the lease hash goes after `keys`, `argsFor` puts
   * the lease's arguments (`args`) in the script's ARGV. A reply of `'lease'` (the owner's lease had
   * lapsed, nothing reserved) runs it once more under the new owner; `'1'` first: `amount` granted.
   */
  async reserve(script: Script, keys: readonly string[], argsFor: (lease: readonly string[]) => string[], amount: number): Promise<{ reply: string[]; owner: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const owner = this.reserving();
      let reply: string[];
      try {
        reply = (await this.counters.run(script, [...keys, this.leases], argsFor(this.args(owner)))) as string[];
      } catch (err) {
        this.reserved(owner, 0, err);
        throw err;
      }
      if (reply[0] === 'lease') {
        this.reserved(owner, 0, undefined, true);
        continue;
      }
      this.reserved(owner, reply[0] === '1' ? amount : 0);
      return { reply, owner };
    }
    throw new Error(`${this.name}: a new Redis lease lapsed at once`);
  }

  /**
   * A reserve under `owner` ended: `amount` granted (0 when refused), or failed with `err`, or refused
   * for a lapsed lease (`lapsed`).
   */
  reserved(owner: string, amount: number, err?: unknown, lapsed = false): void {
    const h = this.owners.get(owner);
    if (h) h.pending -= 1;
    if (lapsed) return this.lapsed(owner);
    if (err !== undefined) {
      // Never sent: recorded nowhere. Any other failure may have been recorded.
      if (!isUnreached(err)) this.unsure(owner, err);
      return;
    }
    if (owner === this.owner) this.confirmed = true;
    if (h && amount > 0) {
      h.held += amount;
      h.largest = Math.max(h.largest, amount);
    }
  }

  /** A release or settlement gave back `part` (its owner's), or failed with `err`. */
  gaveBack(part: OwnedPart | undefined, err?: unknown): void {
    const owner = part?.owner;
    if (part === undefined || owner === undefined || !(part.amount > 0)) return;
    // Never sent: written again once Redis answers (`core/held-writes.ts`), and counted then.
    if (err !== undefined && isUnreached(err)) return;
    const h = this.owners.get(owner);
    if (h) h.held = Math.max(0, h.held - part.amount);
    if (err !== undefined) this.unsure(owner, err);
  }

  /** Redis may hold under `owner` what this process does not know of: reservations move to a new owner. */
  private unsure(owner: string, err: unknown): void {
    if (owner !== this.owner) return;
    this.logger?.debug({ err: errorMessage(err) }, `${this.name}: a command's outcome is unknown; reserving under a new Redis lease`);
    this.owner = this.next();
  }

  private lapsed(owner: string): void {
    const h = this.owners.get(owner);
    if (!h) return;
    this.owners.delete(owner);
    if (h.held > h.largest * 1e-9) this.logger?.warn({}, `${this.name}: this replica's Redis lease lapsed (no heartbeat for ${this.ms} ms); other replicas may have taken back its reservations`);
    if (owner === this.owner) this.owner = this.next();
  }

  /** Refreshes the leases still needed and drops the others (off the request path). */
  async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const keep: string[] = [];
      const drop: string[] = [];
      for (const [owner, h] of this.owners) {
        if (owner === this.owner) {
          if (this.confirmed) keep.push(owner);
        } else if (h.pending > 0 || h.held > h.largest * 1e-9) keep.push(owner);
        else drop.push(owner);
      }
      // Dropped here even if Redis does not take the HDEL: an unrefreshed lease expires on its own.
      for (const owner of drop) this.owners.delete(owner);
      if (keep.length + drop.length === 0) return;
      let reply: unknown[];
      try {
        reply = (await this.counters.run(BEAT, [this.leases], [this.ms, String(keep.length), ...keep, ...drop])) as unknown[];
      } catch {
        // Down or unanswered: the next beat tries again, and a lease lives three beats.
        return;
      }
      keep.forEach((owner, i) => {
        if (Number(reply[i]) === 0) this.lapsed(owner);
      });
    } finally {
      this.beating = false;
    }
  }

  /** Stops the heartbeat and drops every lease: what this process still holds comes back at once. */
  async close(): Promise<void> {
    this.stop();
    const owners = [...this.owners.keys()].filter((o) => o !== this.owner || this.confirmed);
    this.owners.clear();
    if (owners.length === 0) return;
    await this.counters.run(BEAT, [this.leases], [this.ms, '0', ...owners]).catch(() => undefined);
  }
}

function every(beat: () => Promise<void>, everyMs: number): () => void {
  const timer = setInterval(() => void beat(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
