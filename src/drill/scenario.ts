import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fileProblem } from '../config/file-problem.js';
import { formatPath } from '../config/interpolate.js';
import { configIssueMessage } from '../config/messages.js';
import * as z from '../config/zod.js';
import { BUILT_IN_SCENARIOS, builtInScenario } from './builtins.js';

/** A point in the drill's time line: seconds from the start, or a share of the duration ("25%"). */
const instantSchema = z.union([z.number().min(0), z.string().regex(/^\d+(\.\d+)?%$/, 'expected seconds or a percentage such as "25%"')]);

/** What a faulty deployment does. Simulators get it through their fault API, others through the fault proxy. */
export const effectSchema = z
  .strictObject({
    /** Answer with this HTTP status (503, 429...). */
    status: z.number().int().min(400).max(599).optional(),
    retry_after_s: z.number().min(0).optional(),
    /** Refuse connections (the proxy closes them at once; a simulator resets them). */
    refuse: z.boolean().optional(),
    /** Accept connections and never answer. */
    blackhole: z.boolean().optional(),
    latency_ms: z.number().int().min(0).optional(),
    ttft_ms: z.number().int().min(0).optional(),
    /** Break streams after this many content chunks. */
    cut_after_chunks: z.number().int().min(0).optional(),
  })
  .refine((e) => Object.keys(e).length > 0, 'an effect needs at least one field');

export type Effect = z.infer<typeof effectSchema>;

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /**
   * Which deployments of the group fail: `primary` (the region of the first member), a region name,
   * or explicit deployment ids.
   */
  target: z.union([z.strictObject({ region: z.string().min(1) }), z.strictObject({ deployments: z.array(z.string().min(1)).min(1) })]).default({ region: 'primary' }),
  /** Streamed requests (needed to see mid-stream cuts and time to first token). */
  stream: z.boolean().default(false),
  faults: z
    .array(
      z.strictObject({
        start: instantSchema,
        end: instantSchema,
        effect: effectSchema,
        /** Alternate down/up every `period_s` inside the window (down first). */
        flap_period_s: z.number().positive().optional(),
      }),
    )
    .min(1),
});

export type Scenario = z.infer<typeof scenarioSchema>;

/** One span of time during which an effect is applied, in ms from the start of the run. */
export interface FaultWindow {
  fromMs: number;
  toMs: number;
  effect: Effect;
}

function instantMs(at: number | string, durationMs: number): number {
  return typeof at === 'number' ? at * 1000 : (Number.parseFloat(at) / 100) * durationMs;
}

/** Resolves the scenario's time line against a run of `durationMs` into concrete fault windows. */
export function faultWindows(scenario: Scenario, durationMs: number): FaultWindow[] {
  const out: FaultWindow[] = [];
  for (const f of scenario.faults) {
    const from = Math.round(instantMs(f.start, durationMs));
    const to = Math.round(Math.min(instantMs(f.end, durationMs), durationMs));
    if (to <= from) continue;
    const period = f.flap_period_s === undefined ? to - from : f.flap_period_s * 1000;
    for (let t = from; t < to; t += 2 * period) out.push({ fromMs: t, toMs: Math.min(t + period, to), effect: f.effect });
  }
  return out.sort((a, b) => a.fromMs - b.fromMs);
}

/** The scenario's faults that lie wholly past the end of a run of `durationMs` (as written: "30-60 s"). */
export function faultsOutside(scenario: Scenario, durationMs: number): string[] {
  const at = (i: number | string): string => (typeof i === 'number' ? `${i} s` : i);
  return scenario.faults.filter((f) => faultWindows({ ...scenario, faults: [f] }, durationMs).length === 0).map((f) => `${at(f.start)} to ${at(f.end)}`);
}

/** Validates a scenario document; problems name their path. */
export function parseScenario(raw: unknown, source: string): Scenario {
  const parsed = scenarioSchema.safeParse(raw, { error: configIssueMessage });
  if (!parsed.success) throw new Error(`${source}: invalid scenario\n  ${parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n  ')}`);
  return parsed.data;
}

/** A scenario neither built in nor a file that can be read: the --scenario flag names nothing there (a usage error). */
export class ScenarioUnreadable extends Error {}

/** Loads a built-in scenario by name, or a team's own scenario file (YAML). */
export function loadScenario(nameOrPath: string): Scenario {
  const builtIn = builtInScenario(nameOrPath);
  if (builtIn !== undefined) return parseScenario(parse(builtIn), `built-in scenario ${nameOrPath}`);
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (err) {
    // No such file: likely a misspelt built-in name, so they are listed. Otherwise a file was meant: say why it cannot be read.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ScenarioUnreadable(`scenario "${nameOrPath}" is neither built in (${Object.keys(BUILT_IN_SCENARIOS).join(', ')}) nor a file`);
    throw new ScenarioUnreadable(`cannot read scenario file ${nameOrPath}: ${fileProblem(err)}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    // yaml's message goes on to draw the line with a caret: its first line says what and where.
    throw new Error(`${nameOrPath}: not valid YAML: ${(err as Error).message.split('\n')[0]?.replace(/:$/, '') ?? ''}`);
  }
  return parseScenario(raw, nameOrPath);
}
