import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILT_IN_SCENARIOS, builtInScenario } from '../../drill/builtins.js';
import { formatDrillHtml } from '../../drill/report/html.js';
import { formatPlan, formatSummary } from '../../drill/report/terminal.js';
import { drillCostCeiling, drillProblem, prepareDrill, type DrillOptions, type DrillResult } from '../../drill/run.js';
import { requestBudget } from '../../drill/load.js';
import { faultsOutside, loadScenario, ScenarioUnreadable, type Scenario } from '../../drill/scenario.js';
import { loadConfigTree } from '../../config/load.js';
import { findGroup } from '../../drill/targets.js';
import { sloBreaches, type DrillSlo } from '../../drill/slo.js';
import { outDirFlag, readFlag, UsageError, type Command, type CommandIO } from '../command.js';

/** "500ms", "6s", "2m" or plain seconds, in ms. */
function durationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration such as 30s, 500ms or 2m, got "${text}"`);
  return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1_000));
}

/**
 * --scenario: a name neither built in nor a readable file (none there, a directory) is a bad value
 * (exit 2); a file that is not a valid scenario is a problem in that file (exit 1), as an invalid config is.
 */
function scenarioFlag(name: string): Scenario {
  try {
    return loadScenario(name);
  } catch (err) {
    if (err instanceof ScenarioUnreadable) throw new UsageError(`--scenario: ${err.message}`);
    throw err;
  }
}

interface DrillFlags {
  config?: string;
  group?: string;
  scenario?: string;
  'no-shadow'?: boolean;
  'compare-shadow'?: boolean;
}

/** The flags every run needs, and no two that contradict: each missing or clashing one in words (exit 2). */
function requireFlags<V extends DrillFlags>(values: V): asserts values is V & { config: string; group: string; scenario: string } {
  if (!values.config) throw new UsageError('name the config file (-c FILE)');
  if (!values.group) throw new UsageError('name the group to drill (--group G)');
  if (!values.scenario) throw new UsageError(`name the scenario (--scenario S): one of ${Object.keys(BUILT_IN_SCENARIOS).join(', ')}, or a YAML file`);
  if (values['compare-shadow'] && values['no-shadow']) throw new UsageError('--compare-shadow runs without the shadow traffic, then with it: leave out --no-shadow');
}

/** A rate: any number from 0 (`drillProblem` refuses a drill that then sends nothing, saying why). */
function nonNegative(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag}: expected a non-negative number, got "${text}"`);
  return n;
}

/** A count of errors: 1.5 errors never happen, so `--max-errors 1.5` was `--max-errors 1` in disguise. */
function count(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: expected a whole number (0, 1, 2, ...), got "${text}"`);
  return Number(text);
}

/** `--max-cost`, as consistency takes it: 0 would refuse every drill with a price, so it is no cap one means. */
function dollarsFlag(text: string): number {
  const n = Number(text);
  // NaN compares false with everything, so an unreadable ceiling would let any run through.
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`--max-cost: expected a positive number of US dollars (e.g. 0.05), got "${text}"`);
  return n;
}

/** `--max-cost`, and what else it must pay for: the other run of `--compare-shadow` (its ceiling, or what it spent). */
interface CostCap {
  usd: number;
  /** The other run's part of the cap, and what to call it in a refusal. */
  beside?: { usd: number | undefined; words: string };
}

const dollars = (usd: number | undefined): string => (usd === undefined ? 'an unknown amount' : `$${usd < 0.01 ? usd.toFixed(6) : usd.toFixed(4)}`);

/** Why a run whose plan may cost `ceiling` must not start under `cap`, or undefined. */
function overCap(ceiling: number | undefined, cap: CostCap): string | undefined {
  const beside = cap.beside;
  if (!beside) return ceiling === undefined || ceiling > cap.usd ? `the drill may cost ${dollars(ceiling)}, above --max-cost $${cap.usd}` : undefined;
  const total = ceiling === undefined || beside.usd === undefined ? undefined : ceiling + beside.usd;
  if (total !== undefined && total <= cap.usd) return undefined;
  return `the drill may cost ${dollars(ceiling)}, and ${beside.words} ${dollars(beside.usd)}: ${dollars(total)} together, above --max-cost $${cap.usd}`;
}

async function runOnce(options: DrillOptions, io: CommandIO, cap: CostCap | undefined): Promise<DrillResult | undefined> {
  const prepared = await prepareDrill(options);
  try {
    io.out(formatPlan(prepared.plan));
    const refusal = cap && overCap(prepared.plan.maxCostUsd, cap);
    if (refusal !== undefined) {
      io.err(`refusing to start: ${refusal}`);
      return undefined;
    }
    return await withProgress(io, prepared.plan.durationMs, () => prepared.run());
  } finally {
    await prepared.close();
  }
}

/** On a terminal, says once a second how far the drill's load has run. */
async function withProgress<T>(io: CommandIO, durationMs: number, run: () => Promise<T>): Promise<T> {
  const progress = io.progress;
  if (!progress) return run();
  const started = Date.now();
  const tick = setInterval(() => progress(`drilling: ${Math.round((Date.now() - started) / 1000)} s of ${Math.round(durationMs / 1000)} s...`), 1_000);
  try {
    return await run();
  } finally {
    clearInterval(tick);
    progress('');
  }
}

export const drillCommand: Command = {
  name: 'drill',
  usage: 'switchyard drill -c FILE --group G --scenario S [--rate R] [--duration D] [--out DIR] [--max-errors N] [--max-rto D] [--max-p95 D]',
  summary: 'disaster-recovery drill: inject a fault under load, measure failover',
  help: [
    'Runs a bounded load (at most rate x duration requests) through a gateway built from FILE, injects scenario S',
    '(region-outage, throttle, slow, blackhole, flap, mid-stream-cut, or a YAML file), and measures time to detect,',
    'time to failover, errors, latency before/during/after, attempts, failback and cost.',
    'Exit 3 when an SLO (--max-errors, --max-rto, --max-p95) is broken (with --compare-shadow: in either run); exit 2',
    'for a drill that would send no load or inject no fault. The plan and its cost are printed first.',
    'more: --via auto|proxy, --no-shadow, --compare-shadow, --max-cost USD, --print-scenario NAME',
    '',
    'example: switchyard drill -c switchyard.yaml --group multicloud --scenario region-outage --max-rto 5s',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        group: { type: 'string', short: 'g' },
        scenario: { type: 'string', short: 's' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        out: { type: 'string', short: 'o' },
        'max-errors': { type: 'string' },
        'max-rto': { type: 'string' },
        'max-p95': { type: 'string' },
        'max-cost': { type: 'string' },
        via: { type: 'string' },
        'no-shadow': { type: 'boolean' },
        'compare-shadow': { type: 'boolean' },
        'print-scenario': { type: 'string' },
      },
      allowPositionals: false,
    });
    if (values['print-scenario'] !== undefined) {
      const text = builtInScenario(values['print-scenario']);
      if (text === undefined) throw new UsageError(`no built-in scenario "${values['print-scenario']}" (${Object.keys(BUILT_IN_SCENARIOS).join(', ')})`);
      io.out(text.trimEnd());
      return 0;
    }
    requireFlags(values);
    if (values.via !== undefined && values.via !== 'auto' && values.via !== 'proxy') throw new UsageError('--via: expected auto or proxy');
    const slo: DrillSlo = {
      maxErrors: values['max-errors'] === undefined ? undefined : count(values['max-errors'], '--max-errors'),
      maxRtoMs: values['max-rto'] === undefined ? undefined : durationMs(values['max-rto'], '--max-rto'),
      maxP95Ms: values['max-p95'] === undefined ? undefined : durationMs(values['max-p95'], '--max-p95'),
    };
    const maxCost = values['max-cost'] === undefined ? undefined : dollarsFlag(values['max-cost']);
    // Read as serve reads it (merge keys, the same messages). A group the config does not have is a
    // bad --group value (exit 2); an invalid config is exit 1.
    const { tree: config, config: known } = loadConfigTree(values.config, io.env);
    const group = readFlag(() => findGroup(known, values.group), '--group');
    // Both runs would be the same drill: a comparison that proves nothing, as a drill without a fault.
    if (values['compare-shadow'] && !((group.shadow?.share ?? 0) > 0)) {
      throw new UsageError(`--compare-shadow: group "${group.name}" mirrors nothing (no shadow.share above 0), so both runs would be the same drill`);
    }
    const options: DrillOptions = {
      config,
      env: io.env,
      group: values.group,
      scenario: scenarioFlag(values.scenario),
      ratePerS: values.rate === undefined ? 20 : nonNegative(values.rate, '--rate'),
      durationMs: values.duration === undefined ? 30_000 : durationMs(values.duration, '--duration'),
      shadow: !values['no-shadow'],
      via: values.via as DrillOptions['via'],
    };
    // Before the load runs: results with nowhere to go would be lost.
    outDirFlag('--out', values.out);
    const problem = drillProblem(options);
    if (problem !== undefined) throw new UsageError(problem);
    const outside = faultsOutside(options.scenario, options.durationMs);
    if (outside.length > 0) io.err(`note: fault(s) ${outside.join(', ')} lie past the end of the run and are left out`);
    if (values['compare-shadow']) {
      const shadowCeiling = drillCostCeiling(known, group, requestBudget(options.ratePerS, options.durationMs));
      return compareShadow(options, io, maxCost, shadowCeiling, slo, values.out);
    }
    const result = await runOnce(options, io, maxCost === undefined ? undefined : { usd: maxCost });
    if (!result) return 1;
    return report(result, slo, io, values.out, 'drill').length > 0 ? 3 : 0;
  },
};

/** Prints the summary, writes `NAME.json` and `NAME.html` under `outDir` when given; returns the broken SLOs. */
function report(result: DrillResult, slo: DrillSlo, io: CommandIO, outDir: string | undefined, name: string): string[] {
  const breaches = sloBreaches(result.metrics, slo, result.injectionErrors);
  io.out(formatSummary(result, breaches));
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify({ object: 'switchyard.drill', ...result, slo, breaches }, null, 2)}\n`);
    writeFileSync(join(outDir, `${name}.html`), formatDrillHtml(result, breaches));
    io.out(`wrote ${join(outDir, `${name}.json`)} and ${join(outDir, `${name}.html`)}`);
  }
  return breaches;
}

/**
 * Runs the drill without, then with, the group's shadow share and compares p95 during the fault.
 * Both runs are held to the SLOs: a comparison must not let a broken failover pass. `--max-cost` caps
 * both together: the first starts only if the second's ceiling (`shadowCeiling`) fits beside its own,
 * the second only if it fits beside what the first spent.
 */
async function compareShadow(options: DrillOptions, io: CommandIO, maxCost: number | undefined, shadowCeiling: number | undefined, slo: DrillSlo, outDir: string | undefined): Promise<number> {
  const capBeside = (usd: number | undefined, words: string): CostCap | undefined => (maxCost === undefined ? undefined : { usd: maxCost, beside: { usd, words } });
  const without = await runOnce({ ...options, shadow: false }, io, capBeside(shadowCeiling, 'the run with shadow after it may cost'));
  if (!without) return 1;
  io.out('without shadow:');
  const withoutBreaches = report(without, slo, io, outDir, 'drill-no-shadow');
  const withShadow = await runOnce({ ...options, shadow: true }, io, capBeside(without.cost.usd + without.cost.shadowUsd, 'the run without shadow spent'));
  if (!withShadow) return 1;
  io.out(`with shadow (share ${withShadow.plan.shadowShare}):`);
  const withBreaches = report(withShadow, slo, io, outDir, 'drill-shadow');
  const p95 = (r: DrillResult): string => `${r.metrics.latencyMs.during.p95 ?? '-'} ms`;
  io.out(`p95 during the fault: without shadow ${p95(without)}, with shadow ${p95(withShadow)}`);
  io.out(`shadow cost: $${withShadow.cost.shadowUsdPerHour.toFixed(4)} per hour at ${options.ratePerS} req/s (share ${withShadow.plan.shadowShare})`);
  return withoutBreaches.length > 0 || withBreaches.length > 0 ? 3 : 0;
}
