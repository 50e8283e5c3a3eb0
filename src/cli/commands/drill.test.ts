import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { main } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-drill-'));
const sims: SimServer[] = [];
let configFile = '';
/** The same two deployments, the group mirroring half its requests to the standby. */
let shadowConfigFile = '';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} }, out, err };
}

beforeAll(async () => {
  const [a, b] = await Promise.all([startOpenAISim({ models: ['gpt-4o-mini'] }), startOpenAISim({ models: ['gpt-4o-mini'] })]);
  sims.push(a, b);
  configFile = join(dir, 'drill.yaml');
  shadowConfigFile = join(dir, 'drill-shadow.yaml');
  const config = (shadow: object) => ({
    deployments: [
      { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east', endpoint: `${a.url}/v1` },
      { id: 'standby', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu-west', endpoint: `${b.url}/v1` },
    ],
    groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary', 'standby'], ...shadow }],
    routing: { backoff: { base_ms: 5, cap_ms: 20 }, breaker: { consecutive_failures: 3, cool_off_ms: 400 }, failback: { ramp_ms: 0 } },
  });
  writeFileSync(configFile, stringify(config({})));
  writeFileSync(shadowConfigFile, stringify(config({ shadow: { share: 0.5 } })));
});

afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

describe('switchyard drill (CLI)', () => {
  it('prints the plan and its cost first, writes JSON and HTML, and exits 3 when an SLO is broken', async () => {
    const c = capture();
    const out = join(dir, 'run');
    const code = await main(['drill', '-c', configFile, '--group', 'chat', '--scenario', 'region-outage', '--rate', '30', '--duration', '3s', '--max-errors', '0', '--max-p95', '1ms', '--out', out], c.io);
    const text = c.out.join('\n');
    expect(code).toBe(3);
    expect(c.out[0]).toContain('drill "region-outage" on group "chat": at most 90 requests (30/s for 3 s) after 2 warm-up requests');
    expect(text).toMatch(/cost: at most \$[\d.]+ from the pricing catalog/);
    expect(text).toContain('faulty: primary (via simulator)');
    expect(text).toMatch(/SLOs {15}BROKEN: p95 latency (before|during|after) the fault \d+ ms \(max 1 ms\)/);
    expect(text).not.toContain('client-visible errors');
    const json = JSON.parse(readFileSync(join(out, 'drill.json'), 'utf8')) as { object: string; metrics: { requests: number }; breaches: string[] };
    expect(json.object).toBe('switchyard.drill');
    expect(json.metrics.requests).toBeLessThanOrEqual(90);
    expect(json.metrics.requests).toBeGreaterThan(75);
    expect(json.breaches.length).toBeGreaterThan(0);
    const html = readFileSync(join(out, 'drill.html'), 'utf8');
    expect(html).toContain('class="fault-window"');
    expect(html.match(/class="rps-bar"/g)?.length).toBeGreaterThanOrEqual(3);
  });

  it('exits 0 when the SLOs hold, saying on a terminal how far the load has run', async () => {
    const c = capture();
    const statuses: string[] = [];
    const code = await main(['drill', '-c', configFile, '--group', 'chat', '--scenario', 'region-outage', '--rate', '30', '--duration', '3s', '--max-errors', '0', '--max-rto', '2s'], { ...c.io, progress: (s) => statuses.push(s) });
    expect(statuses[0]).toMatch(/^drilling: \d+ s of 3 s\.\.\.$/);
    expect(statuses.at(-1)).toBe('');
    expect(c.err).toEqual([]);
    expect(c.out.join('\n')).toContain('SLOs               met');
    expect(code).toBe(0);
  });

  /** The --compare-shadow drill at 20/s for 2 s, and what its two runs may cost: read from the refusal of a cap of a millionth of a dollar. */
  const compare = (): string[] => ['drill', '-c', shadowConfigFile, '--group', 'chat', '--scenario', 'region-outage', '--rate', '20', '--duration', '2s', '--compare-shadow'];
  async function compareCeilings(): Promise<{ without: number; withShadow: number }> {
    const c = capture();
    expect(await main([...compare(), '--max-cost', '0.000001'], c.io)).toBe(1);
    const m = /refusing to start: the drill may cost \$([\d.]+), and the run with shadow after it may cost \$([\d.]+): \$[\d.]+ together, above --max-cost \$0\.000001$/.exec(c.err.join('\n'));
    expect(m).not.toBeNull();
    return { without: Number(m![1]), withShadow: Number(m![2]) };
  }

  it('holds both --compare-shadow runs together to --max-cost: a cap either run fits alone is refused before any request', async () => {
    const { without, withShadow } = await compareCeilings();
    // The shadow run's ceiling counts its copies: every request mirrored to the standby.
    expect(withShadow).toBeGreaterThan(without * 1.8);
    const cap = withShadow * 1.2;
    expect(cap).toBeLessThan((without + withShadow) * 0.95);
    const sent = sims.map((s) => s.stats.total);
    const c = capture();
    expect(await main([...compare(), '--max-cost', String(cap)], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain(`together, above --max-cost $${cap}`);
    expect(sims.map((s) => s.stats.total)).toEqual(sent);
  });

  it('runs --compare-shadow against the SLOs too: both summaries, both reports under --out, exit 3 on a breach, both runs together within --max-cost', async () => {
    const { without, withShadow } = await compareCeilings();
    const cap = (without + withShadow) * 1.001;
    const c = capture();
    const out = join(dir, 'compare');
    const code = await main([...compare(), '--max-cost', String(cap), '--max-p95', '1ms', '--out', out], c.io);
    const text = c.out.join('\n');
    expect(code).toBe(3);
    expect(text.match(/SLOs {15}BROKEN: p95 latency/g)).toHaveLength(2);
    expect(text).toContain('without shadow:');
    expect(text).toContain('with shadow (share 0.5):');
    expect(text).toMatch(/p95 during the fault: without shadow \d+ ms, with shadow \d+ ms/);
    let spent = 0;
    for (const name of ['drill-no-shadow', 'drill-shadow']) {
      const json = JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as { breaches: string[]; cost: { usd: number; shadowUsd: number } };
      expect(json.breaches.length).toBeGreaterThan(0);
      expect(readFileSync(join(out, `${name}.html`), 'utf8')).toContain('class="fault-window"');
      spent += json.cost.usd + json.cost.shadowUsd;
    }
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(cap);
  });

  it('refuses, as a usage error (exit 2) saying why, a drill without load or without a fault inside the run, an unknown scenario or group, a scenario that is a directory, a missing -c, --group or --scenario, a comparison with nothing to compare, and an unknown option', async () => {
    const late = join(dir, 'late.yaml');
    writeFileSync(late, stringify({ name: 'late', faults: [{ start: 30, end: 60, effect: { status: 503 } }] }));
    const drill = ['drill', '-c', configFile, '--group', 'chat'];
    const cases: Array<[string[], RegExp]> = [
      [[...drill, '--scenario', late, '--duration', '4s'], /no fault of scenario "late" \(30 s to 60 s\) falls inside the 4 s run/],
      [[...drill, '--scenario', 'region-outage', '--duration', '0', '--max-rto', '1s'], /the duration must be above 0/],
      [[...drill, '--scenario', 'region-outage', '--rate', '0'], /the rate must be above 0/],
      [[...drill, '--scenario', 'nope'], /--scenario: scenario "nope" is neither built in \(region-outage, .*\) nor a file/],
      [[...drill, '--scenario', dir], /--scenario: cannot read scenario file .*: it is a directory, not a file/],
      [['drill', '-c', configFile, '--group', 'nope', '--scenario', 'region-outage'], /--group: no group "nope" in the config \(groups: chat\)/],
      [['drill', '--print-scenario', 'nope'], /no built-in scenario "nope"/],
      [['drill', '--print-scenario', 'constructor'], /no built-in scenario "constructor"/],
      [['drill', '--bogus'], /switchyard drill: unknown option --bogus\n/],
      [['drill', '--group', 'chat', '--scenario', 'flap'], /^switchyard drill: name the config file \(-c FILE\)\n/],
      [['drill', '-c', configFile, '--scenario', 'flap'], /^switchyard drill: name the group to drill \(--group G\)\n/],
      [[...drill], /^switchyard drill: name the scenario \(--scenario S\): one of region-outage, throttle, slow, blackhole, flap, mid-stream-cut, or a YAML file\n/],
      [[...drill, '--scenario', 'flap', '--compare-shadow', '--no-shadow'], /^switchyard drill: --compare-shadow runs without the shadow traffic, then with it: leave out --no-shadow\n/],
      // The group mirrors nothing: "with shadow" would be the same drill again, at twice the cost.
      [[...drill, '--scenario', 'flap', '--compare-shadow'], /^switchyard drill: --compare-shadow: group "chat" mirrors nothing \(no shadow.share above 0\), so both runs would be the same drill\n/],
    ];
    for (const [args, message] of cases) {
      const c = capture();
      expect(await main(args, c.io), args.join(' ')).toBe(2);
      expect(c.err.join('\n')).toMatch(message);
      expect(c.err.join('\n')).toContain('usage: switchyard drill');
      expect(c.out).toEqual([]);
    }
  });

  it('drill and consistency read the config as serve and check-config do: merge keys, x- blocks, the same file errors', async () => {
    // They once parsed YAML on their own, without merge keys: a config check-config passed was "invalid" here.
    const file = join(dir, 'merged.yaml');
    writeFileSync(
      file,
      [
        'x-sim: &sim { provider: openai-compatible, model: gpt-4o-mini, region: us-east }',
        'deployments:',
        `  - { <<: *sim, id: primary, endpoint: "${sims[0]?.url ?? ''}/v1" }`,
        `  - { <<: *sim, id: standby, endpoint: "${sims[1]?.url ?? ''}/v1" }`,
        'groups:',
        '  - { name: chat, deployments: [primary, standby] }',
        '',
      ].join('\n'),
    );
    expect(await main(['check-config', file], capture().io)).toBe(0);
    for (const command of [['drill', '--scenario', 'throttle'], ['consistency']]) {
      // The config is read: the unknown group is the one problem, a usage error.
      const c = capture();
      expect(await main([...command, '-c', file, '--group', 'nope'], c.io)).toBe(2);
      expect(c.err[0]).toContain('--group');
      const missing = capture();
      expect(await main([...command, '-c', join(dir, 'absent.yaml'), '--group', 'chat'], missing.io)).toBe(1);
      expect(missing.err).toEqual([`switchyard ${command[0]}: cannot read config file ${join(dir, 'absent.yaml')}: no such file`]);
    }
  });

  it('prints a built-in scenario as YAML to start a team scenario from, and fails (exit 1) on a scenario file that is not one', async () => {
    const c = capture();
    expect(await main(['drill', '--print-scenario', 'flap'], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('flap_period_s: 1');
    const file = join(dir, 'not-a-scenario.yaml');
    writeFileSync(file, 'faults: nope\n');
    const bad = capture();
    expect(await main(['drill', '-c', configFile, '--group', 'chat', '--scenario', file], bad.io)).toBe(1);
    expect(bad.err.join('\n')).toContain('invalid scenario');
  });
});
