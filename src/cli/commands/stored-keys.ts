import { statSync } from 'node:fs';
import type { GatewayConfig } from '../../config/schema.js';
import { errorMessage } from '../../core/error-trace.js';
import { silentLogger } from '../../core/logger.js';
import type { SqlDriver } from '../../ledger/store/driver.js';
import { KeyStore, MISMATCHES_SHOWN } from '../../governance/keys/store.js';
import type { CommandIO } from '../command.js';

/** Read-only: every write this driver is asked for is refused, so a check can never change the ledger. */
function readOnly(dialect: SqlDriver['dialect'], table: SqlDriver['table'], query: SqlDriver['query'], close: () => Promise<void>): SqlDriver {
  const refuse = (): Promise<never> => Promise.reject(new Error('check-config opens the ledger read-only'));
  return { dialect, table, jsonText: () => '', query, insertRows: refuse, transaction: refuse, migrationTransaction: refuse, close };
}

/** A SQLite ledger opened read-only (no migration, no WAL setting, no file created). */
async function openSqliteReadOnly(path: string): Promise<SqlDriver> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const query = <T>(sql: string, params: readonly unknown[] = []): Promise<{ rows: T[]; changes: number }> => Promise.resolve({ rows: db.prepare(sql).all(...params) as T[], changes: 0 });
  return readOnly('sqlite', (name) => name, query, () => Promise.resolve(void db.close()));
}

/** A PostgreSQL ledger read in one READ ONLY transaction, rolled back at close (no migration, no schema created). */
async function openPostgresReadOnly(url: string, schema: string): Promise<SqlDriver> {
  const [{ default: pg }, { numbered }] = await Promise.all([import('pg'), import('../../ledger/store/postgres-driver.js')]);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  // A connection lost mid-check (a restart, a failover) fails the query under way and is also emitted
  // here, where unheard it would end the CLI with an uncaught exception; the query's failure names it.
  let lost: Error | undefined;
  client.on('error', (err) => (lost ??= err));
  await client.connect();
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
  } catch (err) {
    await client.end();
    throw err;
  }
  const query = async <T>(sql: string, params: readonly unknown[] = []): Promise<{ rows: T[]; changes: number }> => {
    try {
      return { rows: (await client.query(numbered(sql), params as unknown[])).rows as T[], changes: 0 };
    } catch (err) {
      throw lost ? new Error(`the connection to the database was lost (${errorMessage(lost)})`, { cause: lost }) : err;
    }
  };
  return readOnly('postgres', (name) => `"${schema}".${name}`, query, async () => {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  });
}

/** The configured ledger, read-only, and where it is in words; a reason instead when there is none to read. */
async function openLedger(file: string, config: GatewayConfig): Promise<{ driver: SqlDriver; where: string } | { problem: string }> {
  const { ledger } = config;
  if (ledger.store === 'sqlite') {
    const where = `${ledger.path} (ledger.path of ${file})`;
    // Opened read-only, a missing file is not created: say so rather than report a ledger without keys.
    if (!statSync(ledger.path, { throwIfNoEntry: false })?.isFile()) return { problem: `no ledger at ${where}: the file does not exist` };
    return { driver: await openSqliteReadOnly(ledger.path), where };
  }
  if (ledger.store === 'postgres' && ledger.url) {
    // Not the URL: it may carry a password.
    return { driver: await openPostgresReadOnly(ledger.url.reveal(), ledger.schema), where: `the PostgreSQL database of ledger.url in ${file}, schema ${ledger.schema}` };
  }
  return { problem: `virtual keys live in a SQL ledger, and ${file} has ledger.store ${ledger.store}: no stored keys to check` };
}

/**
 * `check-config --keys`: reads the virtual keys stored in the ledger `config` names, read-only, and
 * reports each active one this config would not fit (as a reload would strand it: a residency tag, a
 * group or a model it needs gone), the first `MISMATCHES_SHOWN` by id and how many in all. 1 when any.
 */
export async function checkStoredKeys(file: string, config: GatewayConfig, io: CommandIO): Promise<0 | 1> {
  let opened: Awaited<ReturnType<typeof openLedger>>;
  try {
    opened = await openLedger(file, config);
  } catch (err) {
    io.err(`${file}: --keys: cannot open the ledger: ${(err as Error).message}`);
    return 1;
  }
  if ('problem' in opened) {
    io.err(`${file}: --keys: ${opened.problem}`);
    return 1;
  }
  const { driver, where } = opened;
  try {
    return await report(file, config, driver, where, io);
  } catch (err) {
    io.err(`${file}: --keys: cannot read the virtual keys at ${where}: ${(err as Error).message}`);
    return 1;
  } finally {
    await driver.close();
  }
}

async function report(file: string, config: GatewayConfig, driver: SqlDriver, where: string, io: CommandIO): Promise<0 | 1> {
  const secret = config.keys.hmac_secret;
  if (!secret) {
    // Keys off: every stored active key stops authenticating.
    const { rows } = await driver.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${driver.table('virtual_keys')} WHERE revoked_at IS NULL`);
    const active = Number(rows[0]?.n ?? 0);
    if (active === 0) {
      io.out(`${file}: no active virtual keys at ${where}`);
      return 0;
    }
    io.err(`${file}: ${active} active virtual key(s) at ${where}, and this config turns virtual keys off (no keys.hmac_secret): none of them would authenticate`);
    return 1;
  }
  const keys = new KeyStore({ driver, hmacSecret: secret.reveal(), config, logger: silentLogger, refreshMs: config.keys.refresh_ms });
  await keys.refresh();
  const total = keys.mismatchCount;
  if (total === 0) {
    io.out(`${file}: every active virtual key at ${where} fits this config`);
    return 0;
  }
  io.err(`${file}: ${total} active virtual key(s) at ${where} would not match this config, and their requests there would be refused:`);
  for (const m of keys.mismatches(MISMATCHES_SHOWN)) io.err(`  key ${m.id}: ${m.problems.join('; ')}`);
  if (total > MISMATCHES_SHOWN) io.err(`  ... and ${total - MISMATCHES_SHOWN} more`);
  return 1;
}
