import type { CacheTtl } from '../../core/cache-ttl.js';
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

/**
 * Upper bound of a request's cost from its prompt estimate and completion cap (budget reservations).
 * The prompt is priced at the dearest rate it can be billed at: a five-minute cache write at most, or,
 * for a request with a one-hour cache breakpoint (`promptCacheTtl: '1h'`), a one-hour write (2x input
 * on Claude). Only such requests reserve the one-hour rate: reserving it for all would refuse budgets early.
 */
export function maxCostOf(price: Price, promptTokens: number, completionTokens: number, promptCacheTtl?: CacheTtl): number {
  const p = price.longContext && promptTokens > price.longContext.abovePromptTokens ? price.longContext : price;
  const oneHour = promptCacheTtl === '1h' ? (p.cacheWrite1h ?? 0) : 0;
  const inputRate = Math.max(p.input, p.cacheWrite ?? 0, oneHour);
  return roundUsd((promptTokens * inputRate + completionTokens * p.output) / 1_000_000);
}
