import type { Observation } from './run.js';

/** When a difference between deployments is worth a flag. */
export interface Thresholds {
  /** Longest answer over shortest. */
  lengthRatio: number;
  /** (most - fewest) / fewest prompt tokens counted for the same input. */
  tokenSpread: number;
  /** Slowest over fastest (anything under `latencyFloorMs` counts as that much, so tiny times are not flagged). */
  latencyRatio: number;
  latencyFloorMs: number;
  /** Lowest acceptable text similarity (0..1) to the first deployment's answer. */
  minSimilarity: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { lengthRatio: 2, tokenSpread: 0.25, latencyRatio: 5, latencyFloorMs: 200, minSimilarity: 0.5 };

export type FlagKind = 'error' | 'finish_reason' | 'invalid_json' | 'tool_call' | 'length' | 'tokens' | 'latency' | 'similarity';

export interface Flag {
  prompt: string;
  kind: FlagKind;
  detail: string;
}

export interface PromptComparison {
  prompt: string;
  observations: Observation[];
  /** Similarity of each deployment's answer to the first one's, by deployment. */
  similarity: Record<string, number>;
  flags: Flag[];
}

const words = (text: string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
};

/** Cosine similarity of word counts: 1 for the same words, 0 for none in common; two empty answers are alike. */
export function similarity(a: string, b: string): number {
  const wa = words(a);
  const wb = words(b);
  if (wa.size === 0 && wb.size === 0) return 1;
  let dot = 0;
  for (const [w, n] of wa) dot += n * (wb.get(w) ?? 0);
  const norm = (m: Map<string, number>): number => Math.sqrt([...m.values()].reduce((s, n) => s + n * n, 0));
  const d = norm(wa) * norm(wb);
  return d === 0 ? 0 : Math.round((dot / d) * 1000) / 1000;
}

function spread(values: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** Compares one prompt's answers across deployments and flags differences over the thresholds. */
export function comparePrompt(prompt: string, observations: Observation[], t: Thresholds = DEFAULT_THRESHOLDS): PromptComparison {
  const flags: Flag[] = [];
  const flag = (kind: FlagKind, detail: string): void => void flags.push({ prompt, kind, detail });
  for (const o of observations) if (!o.ok) flag('error', `${o.deployment} failed (${o.error ?? 'unknown'})`);
  const ok = observations.filter((o) => o.ok);
  const finishes = new Set(ok.map((o) => o.finishReason));
  if (finishes.size > 1) flag('finish_reason', ok.map((o) => `${o.deployment}: ${o.finishReason ?? '-'}`).join(', '));
  for (const o of ok) if (o.validJson === false) flag('invalid_json', `${o.deployment} answered JSON mode with text that does not parse`);
  const calls = ok.map((o) => o.toolCall);
  if (calls.some((c) => c !== undefined)) {
    const names = new Set(calls.map((c) => c?.name ?? '(no call)'));
    if (names.size > 1) flag('tool_call', ok.map((o) => `${o.deployment}: ${o.toolCall?.name ?? '(no call)'}`).join(', '));
    for (const o of ok) if (o.toolCall && !o.toolCall.validArguments) flag('tool_call', `${o.deployment} called ${o.toolCall.name} with arguments that are not valid for its schema`);
  }
  const texts = ok.filter((o) => !o.toolCall);
  if (texts.length > 1) {
    const len = spread(texts.map((o) => o.text.length));
    if (len.max > Math.max(1, len.min) * t.lengthRatio) flag('length', `answers from ${len.min} to ${len.max} characters`);
  }
  const tokens = ok.map((o) => o.promptTokens).filter((n): n is number => n !== undefined);
  if (tokens.length > 1) {
    const s = spread(tokens);
    if (s.max - s.min > Math.max(1, s.min) * t.tokenSpread) flag('tokens', `the same input counted as ${s.min} to ${s.max} prompt tokens`);
  }
  if (ok.length > 1) {
    const lat = spread(ok.map((o) => o.latencyMs));
    if (lat.max > Math.max(t.latencyFloorMs, lat.min) * t.latencyRatio) flag('latency', `from ${lat.min} to ${lat.max} ms`);
  }
  const base = texts[0];
  const sim: Record<string, number> = {};
  for (const o of texts) {
    sim[o.deployment] = base ? similarity(base.text, o.text) : 1;
    if ((sim[o.deployment] as number) < t.minSimilarity) flag('similarity', `${o.deployment} vs ${base?.deployment ?? '-'}: ${sim[o.deployment]}`);
  }
  return { prompt, observations, similarity: sim, flags };
}

/** Groups observations by prompt (in the order sent) and compares each. */
export function compareAll(observations: readonly Observation[], t: Thresholds = DEFAULT_THRESHOLDS): PromptComparison[] {
  const prompts = [...new Set(observations.map((o) => o.prompt))];
  return prompts.map((p) => comparePrompt(p, observations.filter((o) => o.prompt === p), t));
}
