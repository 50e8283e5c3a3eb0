import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../cli/main.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-consistency-'));
const sims: SimServer[] = [];
const configFile = join(dir, 'config.yaml');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: { ANTHROPIC_KEY: 'sk-ant-sim' } }, out, err };
}

beforeAll(async () => {
  const openai = await startOpenAISim({ models: ['gpt-4o-mini'] });
  const anthropic = await startAnthropicSim({ apiKey: 'sk-ant-sim', models: ['claude-3-5-haiku-20241022'] });
  sims.push(openai, anthropic);
  writeFileSync(
    configFile,
    stringify({
      deployments: [
        { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us', endpoint: `${openai.url}/v1` },
        { id: 'anthropic', provider: 'anthropic', model: 'claude-3-5-haiku-20241022', region: 'eu', endpoint: anthropic.url, api_key: '${ANTHROPIC_KEY}' },
      ],
      groups: [{ name: 'chat', deployments: ['openai', 'anthropic'] }],
    }),
  );
});

afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

interface JsonResult {
  object: string;
  prompts: Array<{ prompt: string; flags: Array<{ kind: string; detail: string }>; results: Array<{ deployment: string; finishReason: string; toolCall?: { name: string; validArguments: boolean }; promptTokens: number; costUsd: number }> }>;
}

describe('switchyard consistency against the simulators', () => {
  it('sends the default prompt set to every deployment, prints its cost first, and flags what differs', async () => {
    const c = capture();
    expect(await main(['consistency', '-c', configFile, '--group', 'chat', '--format', 'json'], c.io)).toBe(0);
    expect(c.err[0]).toMatch(/^consistency: 5 prompts x 2 deployments = 10 requests \(\+2 warm-up\); cost at most \$[\d.]+$/);
    const result = JSON.parse(c.out.join('\n')) as JsonResult;
    expect(result.object).toBe('switchyard.consistency');
    expect(result.prompts.map((p) => p.prompt)).toEqual(['plain-answer', 'json-mode', 'tool-call', 'long-context', 'refusal-prone']);
    const byName = Object.fromEntries(result.prompts.map((p) => [p.prompt, p]));
    expect(byName['tool-call']?.results.map((r) => r.toolCall)).toEqual([
      { name: 'get_weather', validArguments: true },
      { name: 'get_weather', validArguments: true },
    ]);
    expect(byName['tool-call']?.flags).toEqual([]);
    // The simulators answer JSON mode with plain text, and the Anthropic dialect adds its JSON instruction to the prompt.
    expect(byName['json-mode']?.flags.map((f) => f.kind)).toEqual(expect.arrayContaining(['invalid_json', 'tokens']));
    expect(byName['plain-answer']?.flags.map((f) => f.kind)).not.toContain('finish_reason');
    for (const p of result.prompts) for (const r of p.results) expect(r.costUsd).toBeGreaterThan(0);
  });

  it('writes the table as HTML and exits 3 with --fail-on-flags', async () => {
    const c = capture();
    const out = join(dir, 'consistency.html');
    expect(await main(['consistency', '-c', configFile, '--group', 'chat', '--format', 'html', '--out', out, '--fail-on-flags'], c.io)).toBe(3);
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<tr/g)?.length).toBe(11);
    expect(html).toContain('class="flagged"');
  });

  it('takes thresholds from the command line, counting requests on a terminal', async () => {
    const c = capture();
    const statuses: string[] = [];
    expect(await main(['consistency', '-c', configFile, '--group', 'chat', '--format', 'json', '--token-spread', '10'], { ...c.io, progress: (s) => statuses.push(s) })).toBe(0);
    expect(statuses.slice(0, 2)).toEqual(['consistency: 1/10 requests...', 'consistency: 2/10 requests...']);
    expect(statuses.slice(-2)).toEqual(['consistency: 10/10 requests...', '']);
    const result = JSON.parse(c.out.join('\n')) as JsonResult;
    expect(result.prompts.find((p) => p.prompt === 'json-mode')?.flags.map((f) => f.kind)).not.toContain('tokens');
  });

  it('refuses a --max-cost that is not a positive number with exit 2 and the usage, before sending anything', async () => {
    for (const bad of ['$0.0000001', 'abc', '0', '-1', '']) {
      const c = capture();
      expect(await main(['consistency', '-c', configFile, '--group', 'chat', `--max-cost=${bad}`], c.io)).toBe(2);
      expect(c.err).toEqual([`switchyard consistency: --max-cost: expected a positive number of US dollars (e.g. 0.05), got "${bad}"`, expect.stringMatching(/^usage: switchyard consistency /)]);
      expect(c.out).toEqual([]);
    }
  });

  it('refuses a group the config does not have, and a bad threshold, with exit 2 and the usage', async () => {
    for (const [args, message] of [
      [['--group', 'nope'], 'switchyard consistency: --group: no group "nope" in the config'],
      [['--group', 'chat', '--min-similarity', 'high'], 'switchyard consistency: --min-similarity: expected a non-negative number, got "high"'],
      [['--group', 'chat', '--prompts', join(dir, 'no-such-prompts.yaml')], `switchyard consistency: --prompts: cannot read ${join(dir, 'no-such-prompts.yaml')}: no such file`],
    ] as const) {
      const c = capture();
      expect(await main(['consistency', '-c', configFile, ...args], c.io)).toBe(2);
      expect(c.err[0]).toContain(message);
      expect(c.err.at(-1)).toMatch(/^usage: switchyard consistency /);
    }
  });

  it('says in a sentence that the cost is unknown when a deployment has no price, and refuses a --max-cost it cannot keep', async () => {
    const unpriced = join(dir, 'unpriced.yaml');
    writeFileSync(unpriced, stringify({ deployments: [{ id: 'local', provider: 'openai-compatible', model: 'my-own-model', endpoint: 'http://127.0.0.1:9/v1' }], groups: [{ name: 'chat', deployments: ['local'] }] }));
    const c = capture();
    expect(await main(['consistency', '-c', unpriced, '--group', 'chat', '--max-cost', '1'], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^consistency: 5 prompts x 1 deployments = 5 requests \(\+1 warm-up\); cost unknown, a deployment has no price in the pricing catalog$/);
    expect(c.err.at(-1)).toBe('refusing to start: an unknown cost may be above --max-cost $1');
    expect(c.out).toEqual([]);
  });

  it('refuses to start when the most the run can cost is above --max-cost', async () => {
    const c = capture();
    expect(await main(['consistency', '-c', configFile, '--group', 'chat', '--max-cost', '0.0000001'], c.io)).toBe(1);
    expect(c.err.at(-1)).toBe('refusing to start: above --max-cost $0.0000001');
    expect(c.out).toEqual([]);
  });
});
