import type { Usage } from '../../core/types.js';

/** Prices in USD per million tokens. */
export interface TokenPrices {
  input: number;
  output: number;
  cacheRead: number | undefined;
  cacheWrite: number | undefined;
  /** One-hour cache writes (Anthropic's `ttl: "1h"`); undefined: billed as other cache writes. */
  cacheWrite1h: number | undefined;
}

/** A resolved price with its provenance. */
export interface Price extends TokenPrices {
  provider: string;
  model: string;
  longContext: (TokenPrices & { abovePromptTokens: number }) | undefined;
  date: string | undefined;
  source: string | undefined;
  note: string | undefined;
}

/** Rounds to a ten-billionth of a dollar: far below a cent, far above float noise. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}

/**
 * Cost of one usage record. `prompt` includes cached reads and writes, so those parts are taken out
 * of the input-priced remainder and billed at the cache prices (one-hour writes at their own);
 * reasoning is inside `completion`.
 */
export function costOfUsage(price: Price, usage: Usage): number {
  const p = price.longContext && usage.prompt > price.longContext.abovePromptTokens ? price.longContext : price;
  const cachedRead = Math.min(usage.cachedRead, usage.prompt);
  const cachedWrite = Math.min(usage.cachedWrite, usage.prompt - cachedRead);
  const cachedWrite1h = Math.min(usage.cachedWrite1h ?? 0, cachedWrite);
  const uncached = usage.prompt - cachedRead - cachedWrite;
  const writeRate = p.cacheWrite ?? p.input;
  const micro =
    uncached * p.input +
    cachedRead * (p.cacheRead ?? p.input) +
    (cachedWrite - cachedWrite1h) * writeRate +
    cachedWrite1h * (p.cacheWrite1h ?? writeRate) +
    usage.completion * p.output;
  return roundUsd(micro / 1_000_000);
}

/** Upper bound of a request's cost from its prompt estimate and completion cap (budget reservations). */
export function maxCostOf(price: Price, promptTokens: number, completionTokens: number): number {
  const p = price.longContext && promptTokens > price.longContext.abovePromptTokens ? price.longContext : price;
  // A five-minute cache write is the dearest input most requests can cost. The one-hour rate (2x input
  // on Claude) only applies to requests asking for it; reserving it for all would refuse budgets early.
  const inputRate = Math.max(p.input, p.cacheWrite ?? 0);
  return roundUsd((promptTokens * inputRate + completionTokens * p.output) / 1_000_000);
}
