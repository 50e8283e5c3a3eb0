/**
 * The scenarios that ship, as the YAML a team would write (`switchyard drill --print-scenario NAME`
 * prints one to start their own from). Kept as text so the built package needs no data files.
 */
export const BUILT_IN_SCENARIOS: Readonly<Record<string, string>> = {
  'region-outage': `name: region-outage
description: Every deployment of the primary region answers 503 for the middle of the run.
target: { region: primary }
faults:
  - { start: "25%", end: "60%", effect: { status: 503 } }
`,
  'throttle': `name: throttle
description: The primary region throttles (429 with retry-after) for the middle of the run.
target: { region: primary }
faults:
  - { start: "25%", end: "60%", effect: { status: 429, retry_after_s: 2 } }
`,
  'slow': `name: slow
description: The primary region answers, but slowly (latency and time to first token up).
target: { region: primary }
stream: true
faults:
  - { start: "25%", end: "60%", effect: { latency_ms: 800, ttft_ms: 800 } }
`,
  'blackhole': `name: blackhole
description: The primary region accepts connections and never answers; only timeouts can detect it.
target: { region: primary }
faults:
  - { start: "25%", end: "60%", effect: { blackhole: true } }
`,
  'flap': `name: flap
description: The primary region goes down and up every second for the middle of the run.
target: { region: primary }
faults:
  - { start: "20%", end: "70%", flap_period_s: 1, effect: { status: 503 } }
`,
  'mid-stream-cut': `name: mid-stream-cut
description: Streams from the primary region break after their second content chunk.
target: { region: primary }
stream: true
faults:
  - { start: "25%", end: "60%", effect: { cut_after_chunks: 2 } }
`,
};

/**
 * The built-in scenario of that name, if one: an own key only, so `constructor` or `toString` (the
 * name of a team's file, say) is not taken for a built-in from Object.prototype.
 */
export function builtInScenario(name: string): string | undefined {
  return Object.hasOwn(BUILT_IN_SCENARIOS, name) ? BUILT_IN_SCENARIOS[name] : undefined;
}
