import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { readRows, type SqlDriver } from '../../ledger/store/driver.js';
import { accessFor, checkAccessReferences, checkKeyResidency, type Access } from '../../routing/access.js';
import { withholdConfigSecrets, type ConfigProblem } from '../../config/interpolate.js';
import type { AuditEvent, AuditLog } from '../audit/log.js';
import type { RateLimitRule } from '../../limits/config.js';
import type { BudgetConfig } from '../../ledger/config.js';
import { KeyPolicyError, type KeyPolicy } from './policy.js';
import { freeTags, servedTagValue, TAG_LIMITS } from '../config.js';
import { newKeyId, newKeySecret, parseKey, secretMatches } from './secret.js';
import { errorMessage } from '../../core/error-trace.js';
import { trustHint } from '../../core/tls-trust.js';

/** Who a virtual key authenticates as: the same shape as a config key's caller. */
export interface KeyCaller {
  keyId: string;
  residency: string | undefined;
  tags: Record<string, string>;
  /** Never `metrics`: virtual keys are minted for clients (src/governance/keys/policy.ts). */
  role: KeyPolicy['role'];
  access: Access;
}

/** A virtual key as listed: its policy and state, never its secret or HMAC. */
export interface VirtualKey extends KeyPolicy {
  id: string;
  created_at: string;
  updated_at: string;
  revoked_at: string | undefined;
  status: 'active' | 'revoked' | 'expired';
}

/** A stored, active key the config does not fit: each problem as `param: message` (`residency: no deployment ...`). */
export interface KeyMismatch {
  id: string;
  problems: string[];
}

/** The config parts a key's access is computed from, and its residency checked against (the deployments' tags). */
export type PolicyConfig = Parameters<typeof accessFor>[0] & Pick<Parameters<typeof checkKeyResidency>[0], 'deployments'>;

export interface KeyStoreOptions {
  driver: SqlDriver;
  /** The server secret stored HMACs are keyed with (`keys.hmac_secret`). */
  hmacSecret: string;
  config: PolicyConfig;
  /** Records key changes in the same transaction as the change. */
  audit?: AuditLog | undefined;
  logger: Logger;
  /** Poll interval for changes made by other replicas (≤ 1 s). */
  refreshMs: number;
  now?: () => number;
  /**
   * After a key write here and this store's own reload: the other processes serving beside it (`serve
   * --workers`' other workers) reload their keys before the write is answered, so a revoked key is
   * refused by the whole pod at once rather than by each worker at its next poll.
   */
  written?: () => Promise<void>;
}

interface Cached {
  hmac: Buffer;
  expiresAt: number | undefined;
  caller: KeyCaller;
}

interface Row {
  id: string;
  hmac: string;
  policy: string;
  created_at: unknown;
  updated_at: unknown;
  expires_at: unknown;
  revoked_at: unknown;
}

const ROW_COLUMNS = 'id, hmac, policy, created_at, updated_at, expires_at, revoked_at';
/**
 * How many mismatched keys a reload's answer lists, and a load logs one line each for: a config change
 * can strand every key at once, and 100,000 of them would make a huge answer and flood the log.
 */
export const MISMATCHES_SHOWN = 100;
const KEYS_LOCK = 0x5357_4b59; // "SWKY": key writes without an audit log still serialise.
const iso = (ms: unknown): string | undefined => (ms === null || ms === undefined ? undefined : new Date(Number(ms)).toISOString());

/**
 * Virtual keys in the ledger database, served from memory: `lookup` is synchronous (a map lookup and
 * one HMAC), and every replica polls a cheap aggregate (count and revision sum) every `refreshMs`,
 * reloading the keys when it changed, so a revocation anywhere takes effect everywhere within that.
 * While the database is unreachable the last loaded keys keep working.
 */
export class KeyStore {
  private cache = new Map<string, Cached>();
  /** Each active key's own rate limit as a rule named `key:<id>`, like a config key's `rate_limit`. */
  private limits = new Map<string, readonly RateLimitRule[]>();
  /** Each active key's own budgets, as budgets `key:<id>:<period>` counted per key. */
  private budgets = new Map<string, readonly BudgetConfig[]>();
  private mark = '';
  /** Loads started, and the newest one applied: a slow load that answers after a newer one is dropped. */
  private loadsStarted = 0;
  private loadApplied = 0;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  /** Keys whose ignored reserved tags were logged: once each, not at every reload of the keys. */
  private readonly warnedTags = new Set<string>();
  /** Active keys the config does not fit, as of the last load applied. */
  private mismatched: KeyMismatch[] = [];
  /** What was logged of each mismatched key: once per store (a config reload builds a new one), again if it changes. */
  private readonly warnedMismatch = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly o: KeyStoreOptions) {
    this.now = o.now ?? Date.now;
  }

  private get table(): string {
    return this.o.driver.table('virtual_keys');
  }

  /** The caller a presented key authenticates as, or undefined (not a virtual key, unknown, revoked, expired). */
  lookup(presented: string): KeyCaller | undefined {
    const parsed = parseKey(presented);
    if (!parsed) return undefined;
    const hit = this.cache.get(parsed.id);
    if (!hit || !secretMatches(this.o.hmacSecret, parsed.id, parsed.secret, hit.hmac)) return undefined;
    if (hit.expiresAt !== undefined && this.now() >= hit.expiresAt) return undefined;
    return hit.caller;
  }

  /** A key's own rate-limit rules, for the rate limiter's hot path (a map lookup); bound, so it can be passed on. */
  readonly rateLimitRules = (keyId: string): readonly RateLimitRule[] | undefined => this.limits.get(keyId);

  /** A key's own budgets, for the budget guard's hot path (a map lookup); bound, so it can be passed on. */
  readonly budgetLimits = (keyId: string): readonly BudgetConfig[] | undefined => this.budgets.get(keyId);

  /** Loads the keys, then polls for changes until `stop`. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.o.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reloads the keys if any changed since the last load; returns whether it reloaded. */
  async refresh(): Promise<boolean> {
    try {
      const { rows } = await this.o.driver.query<{ n: unknown; r: unknown }>(`SELECT COUNT(*) AS n, COALESCE(SUM(revision), 0) AS r FROM ${this.table}`);
      const mark = `${String(rows[0]?.n)}/${String(rows[0]?.r)}`;
      if (mark === this.mark) return this.healthy(false);
      const load = ++this.loadsStarted;
      const all = await this.o.driver.query<Row>(`SELECT ${ROW_COLUMNS} FROM ${this.table} WHERE revoked_at IS NULL`);
      const next = new Map<string, Cached>();
      const limits = new Map<string, readonly RateLimitRule[]>();
      const budgets = new Map<string, readonly BudgetConfig[]>();
      const mismatched: KeyMismatch[] = [];
      const fit = new Map<string, string[]>();
      for (const r of all.rows) {
        const policy = JSON.parse(r.policy) as KeyPolicy;
        const expiresAt = r.expires_at === null ? undefined : Number(r.expires_at);
        next.set(r.id, { hmac: Buffer.from(r.hmac, 'hex'), expiresAt, caller: this.callerOf(r.id, policy) });
        const problems = expiresAt !== undefined && this.now() >= expiresAt ? [] : this.mismatchOf(policy, fit);
        if (problems.length > 0) mismatched.push({ id: r.id, problems });
        const rule = rateLimitRuleOf(r.id, policy);
        if (rule) limits.set(r.id, [rule]);
        if (policy.budgets?.length) budgets.set(r.id, budgetsOf(r.id, policy));
      }
      // A revocation's own refresh may have applied newer rows meanwhile: these would bring the key back.
      if (load < this.loadApplied) return this.healthy(false);
      this.loadApplied = load;
      this.cache = next;
      this.limits = limits;
      this.budgets = budgets;
      this.mark = mark;
      this.mismatched = mismatched.sort((x, y) => (x.id < y.id ? -1 : 1));
      this.warnMismatches();
      return this.healthy(true);
    } catch (err) {
      if (!this.failing) {
        const hint = trustHint(err);
        this.o.logger.warn({ err: errorMessage(err), ...(hint ? { hint } : {}) }, 'virtual keys could not be refreshed; serving the last loaded keys');
      }
      this.failing = true;
      throw err;
    }
  }

  private healthy(reloaded: boolean): boolean {
    if (this.failing) this.o.logger.info({}, 'virtual keys refreshed again');
    this.failing = false;
    return reloaded;
  }

  /**
   * Active keys whose policy names a group or model the config lacks, or a residency no deployment the
   * key may use is tagged with, by id, the first `limit`: a config reload (which builds a new store)
   * answers with them.
   */
  mismatches(limit = Number.POSITIVE_INFINITY): KeyMismatch[] {
    return this.mismatched.slice(0, limit).map((m) => ({ id: m.id, problems: [...m.problems] }));
  }

  /** How many active keys the config does not fit, listed or not. */
  get mismatchCount(): number {
    return this.mismatched.length;
  }

  /**
   * A key checked when it was made can stop fitting when the config changes (a reload that drops the
   * residency tag or the group it needs): its requests are then refused at run time, so say so, by id;
   * past `MISMATCHES_SHOWN` new ones in a load, one line counts the rest.
   */
  private warnMismatches(): void {
    let logged = 0;
    let unlogged = 0;
    for (const { id, problems } of this.mismatched) {
      const said = problems.join('\n');
      if (this.warnedMismatch.get(id) === said) continue;
      this.warnedMismatch.set(id, said);
      if (logged === MISMATCHES_SHOWN) {
        unlogged += 1;
        continue;
      }
      logged += 1;
      this.o.logger.warn({ keyId: id, problems }, 'virtual key does not match the config, and its requests there are refused: restore what it needs in the config, or revoke it and create one that fits');
    }
    if (unlogged > 0) this.o.logger.warn({ keys: unlogged, total: this.mismatched.length }, 'more virtual keys do not match the config, not logged one by one');
  }

  private callerOf(id: string, p: KeyPolicy): KeyCaller {
    const { free, dropped, cut, leftOut } = freeTags(p.tags);
    const team = p.team === undefined ? undefined : servedTagValue(p.team);
    const owner = p.owner === undefined ? undefined : servedTagValue(p.owner);
    const changed = [...(team !== p.team ? ['team'] : []), ...(owner !== p.owner ? ['owner'] : [])];
    if ((dropped.length > 0 || cut.length > 0 || leftOut > 0 || changed.length > 0) && !this.warnedTags.has(id)) {
      this.warnedTags.add(id);
      if (dropped.length > 0) this.o.logger.warn({ keyId: id, tags: dropped }, 'virtual key has tags named key, team or user, stored before they were refused: ignored; set its team and owner instead');
      if (cut.length > 0 || leftOut > 0) {
        this.o.logger.warn({ keyId: id, cut, leftOut }, `virtual key has tags past the limits, stored before they were refused: values cut to ${TAG_LIMITS.value} characters (control characters replaced), tags past ${TAG_LIMITS.count} or with names reports cannot use left out; create a key with tags in bounds and revoke this one`);
      }
      if (changed.length > 0) {
        this.o.logger.warn({ keyId: id, fields: changed }, `virtual key has a team or owner stored before control characters and values past ${TAG_LIMITS.value} characters were refused: served with those characters replaced and cut; create a key with a plain team and owner and revoke this one`);
      }
    }
    const tags: Record<string, string> = { ...free, key: id };
    if (team !== undefined) tags.team = team;
    if (owner !== undefined) tags.user = owner;
    return Object.freeze({ keyId: id, residency: p.residency, tags, role: p.role, access: accessFor(this.o.config, p) });
  }

  /**
   * Refuses a policy naming groups or models the config does not have, or a residency no deployment it
   * may use is tagged with (every request of it refused), as a config key's would be.
   */
  private check(policy: KeyPolicy): void {
    const [problem] = this.policyProblems(policy);
    if (problem) throw new KeyPolicyError(problem.path, problem.message);
    if (policy.expires_at !== undefined && Date.parse(policy.expires_at) <= this.now()) {
      throw new KeyPolicyError('expires_at', 'the time has passed');
    }
  }

  /** `policyProblems` as `param: message` lines, worked out once per load for each combination of the fields checked (keys share a few). */
  private mismatchOf(p: KeyPolicy, seen: Map<string, string[]>): string[] {
    const fields = JSON.stringify([p.residency, p.groups, p.models, p.allow_direct_deployments]);
    let problems = seen.get(fields);
    if (problems === undefined) {
      problems = this.policyProblems(p).map((x) => `${x.path}: ${x.message}`);
      seen.set(fields, problems);
    }
    return problems;
  }

  /** What of a policy the config lacks, each at the policy's own field (`groups[0]`, `residency`); a filled-in secret withheld. */
  private policyProblems(policy: KeyPolicy): ConfigProblem[] {
    const as = { ...this.o.config, api_keys: [policy] };
    const problems = [...checkAccessReferences(as), ...checkKeyResidency(as)].map((p) => ({ path: p.path.replace(/^api_keys\[0\]\.?/, ''), message: p.message }));
    return withholdConfigSecrets(this.o.config, problems);
  }

  /** Runs a key write with its audit record in one transaction (or alone without an audit log). */
  private async write<T>(event: AuditEvent, fn: (q: SqlDriver['query']) => Promise<T>): Promise<T> {
    const result = this.o.audit ? (await this.o.audit.append(event, fn)).result : await this.o.driver.transaction(KEYS_LOCK, fn);
    await this.refresh().catch(() => undefined);
    // The write stands either way; the others still have their poll.
    await this.o.written?.().catch((err: unknown) => this.o.logger.warn({ err: errorMessage(err) }, 'the other workers could not be told of a key change; they see it at their next poll'));
    return result;
  }

  /** Creates a key; the returned `key` is the only time its secret exists outside the caller's hands. */
  async create(policy: KeyPolicy, actor: string): Promise<{ key: string; record: VirtualKey }> {
    this.check(policy);
    const id = newKeyId();
    const { key, hmac } = newKeySecret(id, this.o.hmacSecret);
    const now = this.now();
    const row: Row = { id, hmac, policy: JSON.stringify(policy), created_at: now, updated_at: now, expires_at: policy.expires_at === undefined ? null : Date.parse(policy.expires_at), revoked_at: null };
    await this.write({ actor, action: 'key.created', subject: `key:${id}`, details: summary(policy) }, (q) =>
      q(`INSERT INTO ${this.table} (id, hmac, owner, team, policy, created_at, updated_at, expires_at, revoked_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 1)`, [
        row.id, row.hmac, policy.owner ?? null, policy.team ?? null, row.policy, row.created_at, row.updated_at, row.expires_at,
      ]),
    );
    // The answer is what was inserted, not read back: once the insert committed, a failed read would
    // lose the secret of a key that exists.
    return { key, record: this.view(row) };
  }

  /**
   * Every key, newest first (revoked and expired ones included, marked). The rows come in the order of
   * the `virtual_keys_created` index with the driver's row check, so a list past the read timeout is
   * stopped at its next row as a report is (`SqlDriver.interruptible`), not run to its end.
   */
  async list(): Promise<VirtualKey[]> {
    const live = this.o.driver.interruptible;
    const { rows } = await readRows<Row>(this.o.driver, `SELECT ${ROW_COLUMNS} FROM ${this.table}${live ? ` WHERE ${live}` : ''} ORDER BY created_at DESC, id`);
    return rows.map((r) => this.view(r));
  }

  /** Revokes a key at once on this replica, and within `refreshMs` on every other. */
  async revoke(id: string, actor: string): Promise<VirtualKey> {
    const now = this.now();
    const row = await this.write({ actor, action: 'key.revoked', subject: `key:${id}` }, (q) =>
      this.updated(q, id, `UPDATE ${this.table} SET revoked_at = ?, updated_at = ?, revision = revision + 1 WHERE id = ? AND revoked_at IS NULL`, [now, now, id]),
    );
    return this.view(row);
  }

  /** Replaces a key's secret: the old one stops working, the new one is returned once. */
  async rotate(id: string, actor: string): Promise<{ key: string; record: VirtualKey }> {
    const { key, hmac } = newKeySecret(id, this.o.hmacSecret);
    const now = this.now();
    const row = await this.write({ actor, action: 'key.rotated', subject: `key:${id}` }, (q) =>
      this.updated(q, id, `UPDATE ${this.table} SET hmac = ?, updated_at = ?, revision = revision + 1 WHERE id = ? AND revoked_at IS NULL`, [hmac, now, id]),
    );
    return { key, record: this.view(row) };
  }

  /**
   * Runs a key's UPDATE inside its write's transaction and returns the row as it leaves it (RETURNING:
   * SQLite 3.35+ and PostgreSQL), so the answer needs no read after the commit, which could fail and
   * lose a rotated secret; no row: no active key `id`.
   */
  private async updated(q: SqlDriver['query'], id: string, update: string, params: readonly unknown[]): Promise<Row> {
    const { rows } = await q<Row>(`${update} RETURNING ${ROW_COLUMNS}`, params);
    if (!rows[0]) throw notFound(id);
    return rows[0];
  }

  private view(r: Row): VirtualKey {
    const policy = JSON.parse(r.policy) as KeyPolicy;
    const expired = r.expires_at !== null && this.now() >= Number(r.expires_at);
    return {
      id: r.id,
      ...policy,
      created_at: iso(r.created_at) as string,
      updated_at: iso(r.updated_at) as string,
      revoked_at: iso(r.revoked_at),
      status: r.revoked_at !== null ? 'revoked' : expired ? 'expired' : 'active',
    };
  }
}

function rateLimitRuleOf(id: string, p: KeyPolicy): RateLimitRule | undefined {
  const { requests_per_minute, tokens_per_minute } = p.rate_limits ?? {};
  if (requests_per_minute === undefined && tokens_per_minute === undefined) return undefined;
  return { name: `key:${id}`, match: { key: id }, requests_per_minute, tokens_per_minute };
}

function budgetsOf(id: string, p: KeyPolicy): BudgetConfig[] {
  return p.budgets.map((b) => ({ name: `key:${id}:${b.period}`, period: b.period, soft_usd: b.soft_usd, hard_usd: b.hard_usd, per: 'key', match: {} }));
}

function notFound(id: string): GatewayError {
  return new GatewayError({ kind: 'not_found', message: `No active virtual key '${id}'.`, code: 'key_not_found' });
}

/** What the audit log keeps of a policy: who and what, no metadata values. */
function summary(p: KeyPolicy): Record<string, unknown> {
  return { owner: p.owner, team: p.team, role: p.role, residency: p.residency, models: p.models, groups: p.groups, expires_at: p.expires_at };
}
