import { join } from 'node:path';
import type { GatewayConfig } from '../config/schema.js';
import type { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { LedgerStore } from '../ledger/index.js';
import { Journal } from '../ledger/journal.js';
import { openingLocalPath } from '../ledger/local-paths.js';
import { SqlLedgerStore } from '../ledger/store/sql-store.js';
import { parseJson } from '../http/body.js';
import type { Route, RouteContext } from '../http/route.js';
import { DenialRecorder } from './audit/denials.js';
import { AuditLog } from './audit/log.js';
import { keysAdmin } from './keys/admin.js';
import { createKeysRoutes, KEYS_OFF, keysOffRoutes } from './keys/routes.js';
import { KeyStore } from './keys/store.js';
import { errorMessage } from '../core/error-trace.js';

/** The audit log and virtual keys of one config, when its ledger lives in a SQL database. */
export interface Governance {
  /** Undefined without a SQL ledger store. */
  readonly audit: AuditLog | undefined;
  /** Undefined unless `keys.hmac_secret` is set (and the ledger store is SQL). */
  readonly keys: KeyStore | undefined;
  /** The `/v1/switchyard/keys` routes, when there are virtual keys. */
  readonly routes: readonly Route[];
  /** Records a policy refusal (budget, residency, permission) in the audit log; for the handler's `onError`. */
  readonly onError: ((error: GatewayError, ctx: RouteContext) => void) | undefined;
  close(): void;
}

/** Builds the audit log, the denial recorder and (with `keys.hmac_secret`) the virtual keys, loaded before it resolves. */
export async function createGovernance(config: GatewayConfig, store: LedgerStore | undefined, logger: Logger, keysWritten?: () => Promise<void>): Promise<Governance> {
  const secret = config.keys.hmac_secret;
  if (!(store instanceof SqlLedgerStore)) {
    if (secret) throw new Error('keys.hmac_secret is set but virtual keys live in the ledger database: set ledger.enabled and ledger.store to sqlite or postgres.');
    return { audit: undefined, keys: undefined, routes: keysOffRoutes(KEYS_OFF.noSqlLedger), onError: undefined, close: () => undefined };
  }
  const audit = new AuditLog(store.sql, Date.now, {
    journal: auditJournal(config, logger),
    logger: logger.child({ component: 'audit' }),
    retryMs: config.ledger.retry_interval_ms,
    ready: () => store.isReady,
  });
  const models = new Set([...config.groups.flatMap((g) => [g.name, ...g.aliases]), ...config.deployments.map((d) => d.id)]);
  const denials = new DenialRecorder(audit, logger);
  let keys: KeyStore | undefined;
  if (secret) {
    keys = new KeyStore({ driver: store.sql, hmacSecret: secret.reveal(), config, audit, logger: logger.child({ component: 'keys' }), refreshMs: config.keys.refresh_ms, written: keysWritten });
    await keys.start().catch((err: unknown) => {
      audit.close();
      throw err;
    });
  }
  return {
    audit,
    keys,
    routes: keys ? createKeysRoutes(keysAdmin(keys), logger) : keysOffRoutes(KEYS_OFF.noSecret),
    onError(error, ctx) {
      if (!DenialRecorder.audits(error.kind)) return;
      const keyId = ctx.caller.keyId;
      // The model asked for is in the body the route read (a GET has none: the route names the subject).
      void ctx.body().then(
        (bytes) => denials.denied(keyId, error, subjectOf(modelOf(bytes), ctx.routePath, models)),
        () => undefined,
      );
    },
    close() {
      keys?.stop();
      audit.close();
    },
  };
}

/**
 * Where entries the store cannot take yet survive a restart: beside the ledger's journal, as its usage
 * events do (`ledger.journal`, a folder of its own so neither replays the other's lines).
 */
function auditJournal(config: GatewayConfig, logger: Logger): Journal | undefined {
  const { journal, journal_dir } = config.ledger;
  if (!journal) return undefined;
  const dir = join(journal_dir, 'audit');
  return openingLocalPath('ledger.journal_dir', dir, () => new Journal(dir, (err) => logger.error({ err: errorMessage(err), dir }, 'audit journal write failed; held audit entries are kept in memory only')));
}

/**
 * What a refusal was of: a model the config knows, else the route. The client chooses a body's model
 * and a path's ids, so neither goes in unchecked: a key must not fill the audit log with words of its
 * own, one row per variation.
 */
function subjectOf(model: string | undefined, routePath: string, known: ReadonlySet<string>): string {
  // The gateway's own routes (admin, keys) take no model: a body's one says nothing of the refusal.
  if (model === undefined || routePath.startsWith('/v1/switchyard/')) return `route:${routePath}`;
  return known.has(model) ? `model:${model}` : 'model:<unknown>';
}

function modelOf(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength === 0) return undefined;
  try {
    const model = (parseJson(bytes) as { model?: unknown } | null)?.model;
    return typeof model === 'string' ? model : undefined;
  } catch {
    return undefined;
  }
}
