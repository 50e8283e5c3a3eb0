import { describe, expect, it } from 'vitest';
import type { UsageRow } from '../store/query.js';
import { emptyRow, formatCsv, formatTable, formatUsd, toJson, type Report } from './formats.js';

describe('dollar amounts in the report table, the HTML page and --advise', () => {
  it('shows amounts below $1 to four significant digits, at least to the cent: requests cost fractions of a cent', () => {
    expect(formatUsd(0.0313)).toBe('0.0313');
    expect(formatUsd(0.031249)).toBe('0.03125');
    expect(formatUsd(0.00012345)).toBe('0.0001235');
    expect(formatUsd(0.000000015)).toBe('0.000000015');
    expect(formatUsd(0.5)).toBe('0.50');
    expect(formatUsd(0.01)).toBe('0.01');
    expect(formatUsd(0)).toBe('0.00');
  });

  it('shows $1 and more to the cent', () => {
    expect(formatUsd(1)).toBe('1.00');
    expect(formatUsd(12.3456)).toBe('12.35');
    expect(formatUsd(1234567.891)).toBe('1234567.89');
    // Four significant digits of 0.99996 make a dollar: shown as one.
    expect(formatUsd(0.99996)).toBe('1.00');
  });

  it('rounds half up on the decimal value written, not on its binary neighbour (toFixed shows 1.005 as 1.00)', () => {
    expect(formatUsd(1.005)).toBe('1.01');
    expect(formatUsd(2.675)).toBe('2.68');
    expect(formatUsd(1234.565)).toBe('1234.57');
    expect(formatUsd(0.0012345)).toBe('0.001235');
    expect(formatUsd(1.004999)).toBe('1.00');
  });

  it('keeps the sign of a negative amount', () => {
    expect(formatUsd(-0.0313)).toBe('-0.0313');
    expect(formatUsd(-1.005)).toBe('-1.01');
  });
});

describe('report formats side by side', () => {
  const row = (team: string, costUsd: number, savedUsd = 0): UsageRow => ({ ...emptyRow(), keys: { team }, requests: 1, attempts: 1, costUsd, savedUsd });
  const report: Report = {
    from: '2025-06-01',
    to: '2025-06-02',
    groupBy: ['team'],
    rows: [row('research', 0.0313), row('ops', 1.005, 0.00000015)],
    total: { ...emptyRow(), requests: 2, attempts: 2, costUsd: 1.0363, savedUsd: 0.00000015 },
  };

  it('the table shows each cost and the TOTAL as formatUsd writes it', () => {
    const lines = formatTable(report).split('\n');
    expect(lines.find((l) => l.startsWith('research'))).toMatch(/\s0\.0313\s/);
    expect(lines.find((l) => l.startsWith('ops'))).toMatch(/\s1\.01\s/);
    expect(lines.at(-1)).toMatch(/^TOTAL\s+2\s.*\s1\.04\s/);
  });

  it('CSV ends with a TOTAL row as the table and JSON do, and keeps amounts exact in plain decimals (no 1.5e-7)', () => {
    const lines = formatCsv(report).split('\r\n');
    expect(lines[0]).toBe('team,requests,attempts,prompt_tokens,completion_tokens,cached_read_tokens,cached_write_tokens,cached_write_1h_tokens,reasoning_tokens,cost_usd,cache_hits,saved_usd,unpriced_attempts,estimated_attempts,errors');
    expect(lines.slice(1)).toEqual([
      'research,1,1,0,0,0,0,0,0,0.0313,0,0,0,0,0',
      'ops,1,1,0,0,0,0,0,0,1.005,0,0.00000015,0,0,0',
      'TOTAL,2,2,0,0,0,0,0,0,1.0363,0,0.00000015,0,0,0',
      '',
    ]);
  });

  it('CSV and JSON give the one-hour part of the cache writes beside their total; the table keeps its one cached column', () => {
    const cached: UsageRow = { ...row('research', 0.01), cachedReadTokens: 100, cachedWriteTokens: 400, cachedWrite1hTokens: 300 };
    const split: Report = { ...report, rows: [cached], total: { ...cached, keys: {} } };
    const [head, first] = formatCsv(split).split('\r\n').map((l) => l.split(','));
    const cell = (name: string): string | undefined => first?.[head?.indexOf(name) ?? -1];
    expect([cell('cached_read_tokens'), cell('cached_write_tokens'), cell('cached_write_1h_tokens')]).toEqual(['100', '400', '300']);
    expect(toJson(split)).toMatchObject({ data: [{ cachedWriteTokens: 400, cachedWrite1hTokens: 300 }], total: { cachedWrite1hTokens: 300 } });
    const table = formatTable(split).split('\n');
    expect(table[1]).toMatch(/^team\s+requests\s+attempts\s+prompt\s+completion\s+cached\s+cost_usd\s+unpriced\s+failed$/);
    expect(table.find((l) => l.startsWith('research'))).toMatch(/^research\s+1\s+1\s+0\s+0\s+500\s/);
  });

  it('puts TOTAL in the first of several group columns and leaves the others empty', () => {
    const twoKeys: Report = { ...report, groupBy: ['team', 'day'], rows: [{ ...row('research', 0.5), keys: { team: 'research', day: '2025-06-01' } }], total: { ...emptyRow(), requests: 1, attempts: 1, costUsd: 0.5 } };
    expect(formatCsv(twoKeys).split('\r\n').slice(1, 3)).toEqual(['research,2025-06-01,1,1,0,0,0,0,0,0,0.5,0,0,0,0,0', 'TOTAL,,1,1,0,0,0,0,0,0,0.5,0,0,0,0,0']);
  });

  it('without --group-by writes the one row only: it is the total', () => {
    const whole: Report = { ...report, groupBy: [], rows: [report.total], total: report.total };
    expect(formatCsv(whole).split('\r\n')).toEqual([expect.stringMatching(/^requests,/), '2,2,0,0,0,0,0,0,1.0363,0,0.00000015,0,0,0', '']);
  });
});

describe('what the report table counts: client requests, and the attempts made for them', () => {
  // 10 client requests, 1 failed for its client: 17 upstream attempts (retries and fallbacks), 7 of them failed.
  const whole: UsageRow = { ...emptyRow(), requests: 10, attempts: 17, errors: 7 };

  it('shows attempts beside requests, and calls failed attempts so, in the compact table as in --wide', () => {
    const report: Report = { from: 'a', to: 'b', groupBy: [], rows: [whole], total: whole };
    for (const wide of [false, true]) {
      const [, head = '', , row = ''] = formatTable(report, { wide }).split('\n');
      const cell = (name: string): string | undefined => row.trim().split(/\s+/)[head.trim().split(/\s+/).indexOf(name)];
      expect([cell('requests'), cell('attempts'), cell('failed')], `wide: ${wide}`).toEqual(['10', '17', '7']);
      expect(head.split(/\s+/), `wide: ${wide}`).not.toContain('errors');
    }
  });

  it('keeps the errors name in CSV and JSON, whose columns are the ledger row\'s fields', () => {
    const report: Report = { from: 'a', to: 'b', groupBy: [], rows: [whole], total: whole };
    expect(formatCsv(report).split('\r\n')[0]).toMatch(/,attempts,.*,errors$/);
    expect(toJson(report)).toMatchObject({ total: { requests: 10, attempts: 17, errors: 7 } });
  });

  it('says under the table why the rows\' requests add up to more than TOTAL: a request whose attempts fall into several rows counts in each', () => {
    // Grouped by deployment, role and status: a request that failed on a and fell back to b is in 2 rows.
    const row = (deployment: string, requests: number): UsageRow => ({ ...emptyRow(), keys: { deployment }, requests, attempts: requests });
    const report: Report = { from: 'a', to: 'b', groupBy: ['deployment'], rows: [row('a', 12), row('b', 6)], total: { ...emptyRow(), requests: 12, attempts: 18 } };
    const lines = formatTable(report).split('\n');
    expect(lines.at(-3)).toMatch(/^TOTAL\s+12\s+18\s/);
    expect(lines.slice(-2)).toEqual([
      "note: the rows' requests add up to 18, TOTAL counts 12: a request whose attempts fall into several rows",
      '      (retries, fallbacks, shadow copies) counts once in each; attempts, tokens and cost add up to TOTAL.',
    ]);
  });

  it('adds no such note when each request is in one row', () => {
    const row = (deployment: string): UsageRow => ({ ...emptyRow(), keys: { deployment }, requests: 1, attempts: 1 });
    const report: Report = { from: 'a', to: 'b', groupBy: ['deployment'], rows: [row('a'), row('b')], total: { ...emptyRow(), requests: 2, attempts: 2 } };
    expect(formatTable(report).split('\n').at(-1)).toMatch(/^TOTAL\s+2\s+2\s/);
  });
});

describe('the report table on a terminal: identifying keys whole, other columns fitted', () => {
  // Real ids: two Bedrock inference profiles alike in their first 31 characters, a foundation model id, Vertex's Claude and Gemini ids.
  const MODELS = [
    ['bedrock', 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'bedrock-claude-sonnet-v2-us-cross-region'],
    ['bedrock', 'us.anthropic.claude-3-5-sonnet-20240620-v1:0', 'bedrock-claude-sonnet-v1-us-cross-region'],
    ['bedrock', 'anthropic.claude-3-5-sonnet-20241022-v2:0', 'bedrock-claude-sonnet-eu-central-1-provisioned'],
    ['vertex', 'claude-3-5-sonnet-v2@20241022', 'vertex-claude-sonnet-europe-west1'],
    ['vertex', 'gemini-2.5-flash-preview-05-20', 'vertex-gemini-flash-us-central1'],
  ] as const;
  const big = (keys: Record<string, string>): UsageRow => ({ ...emptyRow(), keys, requests: 123456, attempts: 123470, promptTokens: 987654321, completionTokens: 12345678, cachedReadTokens: 4567890, costUsd: 1234.5, errors: 14 });
  const threeKeys: Report = {
    from: 'a',
    to: 'b',
    groupBy: ['provider', 'model', 'deployment'],
    rows: MODELS.map(([provider, model, deployment]) => big({ provider, model, deployment })),
    total: { ...big({}), requests: 617280 },
  };

  it('on a 120-column terminal, grouped by provider, model and deployment: every id whole, each row\'s figures on the line under its keys', () => {
    const lines = formatTable(threeKeys, { width: 120 }).split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(lines.slice(1, 3)).toEqual([expect.stringMatching(/^provider\s+model\s+deployment$/), expect.stringMatching(/^\s+requests\s+attempts\s+prompt\s+completion\s+cached\s+cost_usd\s+unpriced\s+failed$/)]);
    for (const [provider, model, deployment] of MODELS) {
      const at = lines.findIndex((l) => l.split(/\s+/)[1] === model);
      expect(lines[at], model).toMatch(new RegExp(`^${provider}\\s+${model.replace(/[.$^]/g, '\\$&')}\\s+${deployment}$`));
      expect(lines[at + 1], model).toMatch(/^\s+123456\s+123470\s+987654321\s+12345678\s+4567890\s+1234\.50\s+0\s+14$/);
    }
    expect(lines.slice(-2)).toEqual(['TOTAL', expect.stringMatching(/^\s+617280\s+123470\s/)]);
  });

  it('never shows two models as one text: the two Bedrock profiles alike in their first 31 characters stay apart at any width', () => {
    for (const width of [60, 80, 100, 120, 160]) {
      const shown = formatTable(threeKeys, { width }).split('\n').flatMap((l) => l.split(/\s+/)).filter((cell) => cell.includes('claude-3-5-sonnet-2024'));
      expect(shown, `width ${width}`).toEqual(expect.arrayContaining(MODELS.slice(0, 3).map(([, model]) => model)));
      expect(shown.some((cell) => cell.endsWith('~')), `width ${width}`).toBe(false);
    }
  });

  it('keeps one line a row where the terminal is wide enough for it', () => {
    const lines = formatTable(threeKeys, { width: 200 }).split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[3]).toMatch(/^bedrock\s+us\.anthropic\.claude-3-5-sonnet-20241022-v2:0\s+bedrock-claude-sonnet-v2-us-cross-region\s+123456\s/);
  });

  it('without a width (a pipe, a file) neither clips nor wraps: one line a row, whatever its length', () => {
    const lines = formatTable(threeKeys).split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[5]).toMatch(/^bedrock\s+anthropic\.claude-3-5-sonnet-20241022-v2:0\s+bedrock-claude-sonnet-eu-central-1-provisioned\s+123456\s.*\s14$/);
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(120);
  });

  it('clips a team name to fit only as far as the teams stay told apart, else wraps the row', () => {
    const team = (name: string): UsageRow => ({ ...emptyRow(), keys: { team: name }, requests: 1, attempts: 1 });
    const teams = ['research-and-development-europe-north-division', 'research-and-development-europe-south-division'];
    const report: Report = { from: 'a', to: 'b', groupBy: ['team'], rows: teams.map(team), total: { ...emptyRow(), requests: 2, attempts: 2 } };
    // 110 columns: cut to where north and south still differ, one line a row.
    const fitted = formatTable(report, { width: 110 }).split('\n');
    expect(fitted.slice(3, 5)).toEqual([expect.stringMatching(/^research-and-development-europe-n~\s+1\s/), expect.stringMatching(/^research-and-development-europe-s~\s+1\s/)]);
    expect(Math.max(...fitted.map((l) => l.length))).toBeLessThanOrEqual(110);
    // 100 columns: any narrower cut would show both as one text, so the figures go under the names instead.
    const wrapped = formatTable(report, { width: 100 }).split('\n');
    expect(wrapped.filter((l) => l.startsWith('research'))).toEqual(teams);
  });
});
