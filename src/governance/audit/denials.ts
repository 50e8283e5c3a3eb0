import type { ErrorKind } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AuditLog } from './log.js';
import { errorMessage } from '../../core/error-trace.js';

/** The policy refusals the audit log records. */
const AUDITED: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['budget_exceeded', 'residency_violation', 'forbidden']);

const ACTION: Partial<Record<ErrorKind, string>> = {
  budget_exceeded: 'budget.exceeded',
  residency_violation: 'residency.denied',
  forbidden: 'permission.denied',
};

/** Distinct refusals recorded per actor per window; past it they are counted in a log line instead. */
const MAX_PER_ACTOR = 20;
/** Refusals remembered for the window at most: a bound on memory whatever clients send. */
const MAX_REMEMBERED = 10_000;

/**
 * Records policy refusals (budget or residency exceeded, permission denied) in the audit log, once per
 * key, refusal and subject per window, and at most MAX_PER_ACTOR a window for one key: a client
 * hammering a closed door, or varying what it knocks with, must not turn every request into a
 * database transaction. Appends never hold the request; a failed append is logged.
 */
export class DenialRecorder {
  private readonly last = new Map<string, number>();
  /** Per actor: when its window opened, how many it recorded and how many it was refused since. */
  private readonly actors = new Map<string, { since: number; recorded: number; dropped: number }>();

  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an error of this kind is a policy refusal worth recording. */
  static audits(kind: ErrorKind): boolean {
    return AUDITED.has(kind);
  }

  /**
   * Records a refusal of `keyId`'s request for `subject` (`model:<name>` or `route:<path>`, from the
   * config, never the client's words); returns whether it was appended. The details are the refusal's
   * code alone: its message may quote the client (a `model_not_allowed` echoes the model asked for, a
   * secret pasted there included), and the audit log keeps what it is given for good.
   */
  denied(keyId: string | undefined, error: { kind: ErrorKind; code: string }, subject: string): boolean {
    const action = ACTION[error.kind];
    if (action === undefined) return false;
    const actor = keyId === undefined ? 'anonymous' : `key:${keyId}`;
    const id = `${actor}|${error.code}|${subject}`;
    const now = this.now();
    const at = this.last.get(id);
    if (at !== undefined && now - at < this.windowMs) return false;
    if (!this.admit(actor, now)) return false;
    this.remember(id, now);
    this.log
      .append({ actor, action, subject, details: { code: error.code } })
      .catch((err: unknown) => this.logger.warn({ err: errorMessage(err), action }, 'audit append failed'));
    return true;
  }

  /** Whether the actor may record one more this window; a closed window reports what it dropped. */
  private admit(actor: string, now: number): boolean {
    let a = this.actors.get(actor);
    if (a === undefined || now - a.since >= this.windowMs) {
      if (a !== undefined && a.dropped > 0) this.logger.warn({ actor, dropped: a.dropped, windowMs: this.windowMs }, 'audit: policy refusals past the per-key limit were not recorded');
      a = { since: now, recorded: 0, dropped: 0 };
      this.actors.delete(actor);
      this.actors.set(actor, a);
      evictOldest(this.actors, MAX_REMEMBERED);
    }
    if (a.recorded >= MAX_PER_ACTOR) {
      // Said at once, so a burst followed by silence leaves its trace; the count follows when the window closes.
      if (a.dropped === 0) this.logger.warn({ actor, limit: MAX_PER_ACTOR, windowMs: this.windowMs }, 'audit: policy refusals past the per-key limit are not recorded this window');
      a.dropped += 1;
      return false;
    }
    a.recorded += 1;
    return true;
  }

  private remember(id: string, now: number): void {
    this.last.delete(id);
    this.last.set(id, now);
    if (this.last.size > MAX_REMEMBERED) {
      for (const [k, t] of this.last) if (now - t >= this.windowMs) this.last.delete(k);
      evictOldest(this.last, MAX_REMEMBERED);
    }
  }
}

/** Drops a map's oldest insertions until it holds `max`. */
function evictOldest(map: Map<string, unknown>, max: number): void {
  for (const k of map.keys()) {
    if (map.size <= max) return;
    map.delete(k);
  }
}
