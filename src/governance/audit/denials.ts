import type { ErrorKind } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AuditLog } from './log.js';

/** The policy refusals the audit log records. */
const AUDITED: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['budget_exceeded', 'residency_violation', 'forbidden']);

const ACTION: Partial<Record<ErrorKind, string>> = {
  budget_exceeded: 'budget.exceeded',
  residency_violation: 'residency.denied',
  forbidden: 'permission.denied',
};

/**
 * Records policy refusals (budget or residency exceeded, permission denied) in the audit log, once per
 * key, refusal and subject per window: a client hammering a closed door must not turn every request
 * into a database transaction. Appends never hold the request; a failed append is logged.
 */
export class DenialRecorder {
  private readonly last = new Map<string, number>();

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

  /** Records a refusal of `keyId`'s request for `subject` (a model name); returns whether it was appended. */
  denied(keyId: string | undefined, error: { kind: ErrorKind; code: string; message: string }, subject: string): boolean {
    const action = ACTION[error.kind];
    if (action === undefined) return false;
    const actor = keyId === undefined ? 'anonymous' : `key:${keyId}`;
    const id = `${actor}|${error.code}|${subject}`;
    const now = this.now();
    const at = this.last.get(id);
    if (at !== undefined && now - at < this.windowMs) return false;
    if (this.last.size >= 10_000) for (const [k, t] of this.last) if (now - t >= this.windowMs) this.last.delete(k);
    this.last.set(id, now);
    this.log
      .append({ actor, action, subject: `model:${subject}`, details: { code: error.code, message: error.message } })
      .catch((err: unknown) => this.logger.warn({ err: (err as Error).message, action }, 'audit append failed'));
    return true;
  }
}
