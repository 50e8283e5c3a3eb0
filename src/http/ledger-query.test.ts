import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway } from '../gateway/gateway.js';
import type { LedgerStore } from '../ledger/store/sql-store.js';
import { createHttpHandler } from './handler.js';
import { createUsageRoute } from './usage-route.js';

const parsed = parseConfig(
  {
    deployments: [{ id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
    groups: [{ name: 'chat', deployments: ['sim-a'] }],
  },
  {},
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const gateway = createGateway(parsed.config);

/** A ledger store whose every query throws `err`. */
const failingStore = (err: Error): LedgerStore => ({
  dialect: 'postgres',
  insert: async () => 0,
  summarize: async () => {
    throw err;
  },
  close: async () => undefined,
});

async function usageAnswer(err: Error) {
  const logged = { warn: [] as string[], warnErr: [] as unknown[], error: [] as { msg: string; err: unknown }[] };
  const logger: Logger = {
    ...silentLogger,
    child: () => logger,
    warn: (obj, msg) => {
      logged.warn.push(msg ?? '');
      logged.warnErr.push((obj as { err?: unknown }).err);
    },
    error: (obj, msg) => void logged.error.push({ msg: msg ?? '', err: (obj as { err?: unknown }).err }),
  };
  const handle = createHttpHandler(gateway, { logger, routes: [createUsageRoute(failingStore(err), Date.now, logger)] });
  const answer = await handle({ method: 'GET', path: '/v1/switchyard/usage', query: '', headers: {}, body: undefined, signal: new AbortController().signal });
  const body = JSON.parse(answer.body as string) as { error: { code: string | null; type: string } };
  return { status: answer.status, code: body.error.code, retryAfter: answer.headers['retry-after'], logged, body: answer.body as string };
}

describe('fromLedger: what a ledger query throws', () => {
  afterAll(() => gateway.close());

  it('passes a bug (a TypeError) on as a 500 internal error, logged with its stack, not as the database being down', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'rows')");
    const answer = await usageAnswer(bug);
    expect([answer.status, answer.retryAfter]).toEqual([500, undefined]);
    expect(answer.logged.warn).toEqual([]);
    expect(answer.logged.error.map((e) => e.msg)).toEqual(['internal error']);
    expect(String(answer.logged.error[0]?.err)).toContain(bug.stack);
  });

  it('answers a connection refusal with 503 ledger_unavailable, retry-after and a warning', async () => {
    const answer = await usageAnswer(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    expect([answer.status, answer.code, answer.retryAfter]).toEqual([503, 'ledger_unavailable', '1']);
    expect(answer.logged.warn).toEqual(['usage query failed: the ledger database cannot be reached']);
    expect(answer.logged.error).toEqual([]);
  });

  it('answers a full disk (SQLITE_FULL, PostgreSQL 53100) and a statement past statement_timeout (57014) with 503 ledger_unavailable and retry-after, not 500 or 504', async () => {
    const causes = [
      Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
      Object.assign(new Error('could not extend file "base/16384/16385": No space left on device'), { code: '53100' }),
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
    ];
    for (const cause of causes) {
      const answer = await usageAnswer(cause);
      expect([answer.status, answer.code, answer.retryAfter], cause.message).toEqual([503, 'ledger_unavailable', '1']);
      expect(answer.logged.error).toEqual([]);
    }
  });

  it("warns with the driver's message scrubbed: a library user's own logger never gets a connection string's password", async () => {
    const pgError = Object.assign(new Error('could not connect to postgres://ledger:s3cretPass@db.internal:5432/usage: Connection terminated unexpectedly'), { code: '08006' });
    const answer = await usageAnswer(pgError);
    expect([answer.status, answer.code]).toEqual([503, 'ledger_unavailable']);
    expect(answer.logged.warnErr).toEqual(['could not connect to postgres://ledger:[redacted]@db.internal:5432/usage: Connection terminated unexpectedly']);
    expect(answer.body).not.toContain('s3cretPass');
  });
});
