// Ledger insert cost as the usage_events table grows (issue #18): µs per row for 500-row batches at
// 0, 1M and 5M rows, with random event ids (the old `uuid:attempt`) and time-ordered ones (now),
// inline on the main thread (the old driver) and through the writer thread (the event loop's wait).
// Needs dist/ (npx tsc -p tsconfig.build.json). Usage:
//   node bench/ledger-growth.mjs [--sizes 0,1000000,5000000] [--batches 20] [--batch 500] [--ids random,ordered] [--keep]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';
import { setImmediate } from 'node:timers';
import Database from 'better-sqlite3';
import { openSqlite } from '../dist/ledger/store/sqlite-driver.js';
import { SqlLedgerStore } from '../dist/ledger/store/sql-store.js';
import { eventId } from '../dist/ledger/event.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('sizes', '0,1000000,5000000').split(',').map(Number);
const batches = Number(arg('batches', '20'));
const batchSize = Number(arg('batch', '500'));
const schemes = arg('ids', 'random,ordered').split(',');
const keep = process.argv.includes('--keep');

const log = (line) => process.stdout.write(line + '\n');
const START = Date.parse('2026-01-01T00:00:00Z');

/** Grows the table to `target` rows in SQLite itself: a recursive CTE, 1M rows per transaction. */
function grow(path, from, target, scheme) {
  const db = new Database(path);
  db.pragma('cache_size = -262144');
  const id = scheme === 'random' ? "lower(hex(randomblob(16))) || ':1'" : "printf('%012x', ts) || ':' || lower(hex(randomblob(16))) || ':1'";
  const step = db.prepare(`INSERT INTO usage_events
    (id, ts, day, request_id, attempt, operation, role, key_id, team, user_id, tags, group_name, deployment, provider, model, region,
     prompt_tokens, completion_tokens, cached_read_tokens, cached_write_tokens, reasoning_tokens, total_tokens, cost_usd,
     usage_estimated, latency_ms, ttft_ms, status, error_kind)
    SELECT ${id}, ts, '2026-01-01', 'r' || n, 1, 'chat', 'primary', 'k' || (n % 50), 'team', NULL, '{"key":"k"}', 'chat', 'oai',
      'openai-compatible', 'gpt-4o-mini', NULL, 1000, 100, 0, 0, 0, 1100, 0.0002, 0, 120, NULL, 'ok', NULL
    FROM (WITH RECURSIVE s(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM s WHERE n < ?) SELECT n, ? + n AS ts FROM s)`);
  for (let at = from; at < target; at += 1_000_000) {
    const to = Math.min(target, at + 1_000_000);
    db.transaction(() => step.run(at, to - 1, START))();
  }
  db.close();
}

let seq = 0;
function batch(scheme, ts) {
  return Array.from({ length: batchSize }, () => {
    const requestId = randomUUID();
    const record = { startedAt: ts, requestId, attempt: 1, role: 'primary' };
    return {
      id: scheme === 'random' ? `${requestId}:1` : eventId(record), ts, day: '2026-02-01', requestId, attempt: 1, operation: 'chat',
      role: 'primary', keyId: `k${seq++ % 50}`, team: 'team', user: undefined, tags: { key: 'k' }, group: 'chat', deployment: 'oai',
      provider: 'openai-compatible', model: 'gpt-4o-mini', region: undefined, promptTokens: 1000, completionTokens: 100,
      cachedReadTokens: 0, cachedWriteTokens: 0, reasoningTokens: 0, totalTokens: 1100, costUsd: 0.0002, usageEstimated: false,
      latencyMs: 120, ttftMs: undefined, status: 'ok', errorKind: undefined,
    };
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs) => Math.max(...xs);

/** Inserts `batches` batches through `inserts` (inline or worker); µs per row and the event loop's worst wait. */
async function measure(path, scheme, inserts) {
  const store = await SqlLedgerStore.open(openSqlite(path, { inserts }));
  let ts = Date.now();
  await store.insert(batch(scheme, ts++)); // warm-up: statement prepared, writer started
  const perRow = [];
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  for (let i = 0; i < batches; i++) {
    const rows = batch(scheme, ts++);
    const t0 = process.hrtime.bigint();
    await store.insert(rows);
    perRow.push(Number(process.hrtime.bigint() - t0) / 1000 / batchSize);
    await new Promise((r) => setImmediate(r));
  }
  eld.disable();
  await store.close();
  return { perRow, eldMaxMs: eld.max / 1e6 };
}

const dir = mkdtempSync(join(tmpdir(), 'ledger-growth-'));
log(`ledger growth: batches of ${batchSize}, ${batches} per cell; sizes ${sizes.join(', ')}; ids ${schemes.join(', ')}; in ${dir}`);
log('| ids | rows in table | inline µs/row (median) | inline µs/row (max batch) | writer µs/row (median) | event-loop max wait during writer batches ms | db MB |');
log('| --- | ------------- | ---------------------- | ------------------------- | ---------------------- | -------------------------------------------- | ----- |');
try {
  for (const scheme of schemes) {
    const path = join(dir, `${scheme}.sqlite`);
    await (await SqlLedgerStore.open(openSqlite(path, { inserts: 'inline' }))).close();
    let rows = 0;
    for (const size of sizes) {
      const t0 = Date.now();
      grow(path, rows, size, scheme);
      rows = size;
      const growS = ((Date.now() - t0) / 1000).toFixed(0);
      const inline = await measure(path, scheme, 'inline');
      const worker = await measure(path, scheme, 'worker');
      rows += 2 * (batches + 1) * batchSize;
      const mb = statSync(path).size / 1e6;
      log(
        `| ${scheme} | ${size.toLocaleString('en')} | ${median(inline.perRow).toFixed(1)} | ${max(inline.perRow).toFixed(1)} | ${median(worker.perRow).toFixed(1)} | ${worker.eldMaxMs.toFixed(1)} | ${mb.toFixed(0)} |`,
      );
      process.stderr.write(`  (${scheme} grown to ${size} in ${growS} s)\n`);
    }
  }
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
