import { GatewayError, type Spent } from '../core/errors.js';
import type { ServedBy } from '../gateway/gateway.js';
import type { BilledAttempt, Usage } from '../core/types.js';
import type { CostFn, RouteContext } from '../http/route.js';
import { formatUsd } from './gateway-headers.js';

/**
 * Switchyard's extras in answer bodies (the cost under `usage.switchyard`, provider data under
 * `switchyard_extensions`) are opt-in, so an answer is the provider API's own shape unless asked:
 * per request with `x-switchyard-extensions: true` (or its older name `x-switchyard-stream-extensions`),
 * or for a group's clients with `stream_extensions`.
 */
export function wantsExtensions(ctx: RouteContext, servedBy: ServedBy): boolean {
  const headers = ctx.request.headers;
  if (headers['x-switchyard-extensions'] === 'true' || headers['x-switchyard-stream-extensions'] === 'true') return true;
  return servedBy.group !== undefined && ctx.gateway.config.groups.some((g) => g.name === servedBy.group && g.stream_extensions);
}

/** What an answer says of its cost, on every door. */
export interface AnswerCost {
  /** `x-switchyard-cost-usd` (a header, or a stream's trailer); undefined when unpriced or without prices. */
  readonly usd: string | undefined;
  /** With `extras` (see wantsExtensions), the usage extension: `cost_usd` (null for an unpriced model) and `estimated` for a usage the gateway counted. */
  readonly extension: { switchyard: Record<string, unknown> } | undefined;
}

/** How an answer was counted, for its cost. */
export interface Counted {
  /** The body carries Switchyard's extras (the caller asked `wantsExtensions`). */
  extras?: boolean;
  /** The usage is the gateway's estimate. */
  estimated?: boolean;
  /** Each attempt's usage, for an answer of several (a resumed stream). */
  attempts?: readonly BilledAttempt[];
}

/**
 * The request's cost, as the ledger bills it: the answer's usage, plus every attempt billed before it
 * (`servedBy.failed`: a timeout after the send, a paid refusal), each at its own deployment's price;
 * an answer of several attempts (a resumed stream) costs each one's usage likewise. Any attempt
 * unpriced: no cost. A cache hit (no upstream attempt) costs nothing (the ledger books what it saved).
 */
export function answerCost(ctx: RouteContext, servedBy: ServedBy, usage: Usage | undefined, counted: Counted = {}): AnswerCost {
  const { extras = false, estimated = false, attempts } = counted;
  const costOf = ctx.costOf;
  if (!costOf) return { usd: undefined, extension: extras && estimated ? { switchyard: { estimated: true } } : undefined };
  let cost = servedBy.attempts === 0 ? { usd: 0, priced: true } : attempts ? costOfAttempts(costOf, attempts, servedBy) : costOf(servedBy, usage, servedBy);
  const failed = servedBy.failed;
  if (failed && cost.priced && cost.usd !== undefined) {
    const spent = costOfAttempts(costOf, failed, servedBy);
    cost = spent.priced && spent.usd !== undefined ? { usd: cost.usd + spent.usd, priced: true } : spent;
  }
  const usd = cost.priced ? cost.usd : undefined;
  const shown = usd === undefined ? undefined : formatUsd(usd);
  if (!extras) return { usd: shown, extension: undefined };
  const ext: Record<string, unknown> = { cost_usd: usd ?? null };
  if (estimated) ext.estimated = true;
  return { usd: shown, extension: { switchyard: ext } };
}

function costOfAttempts(costOf: CostFn, attempts: readonly BilledAttempt[], answer: object | undefined): ReturnType<CostFn> {
  let usd = 0;
  for (const a of attempts) {
    const cost = costOf(a, a.usage, answer);
    if (!cost.priced || cost.usd === undefined) return { usd: undefined, priced: false };
    usd += cost.usd;
  }
  return { usd, priced: true };
}

/**
 * The trailers' cost of a stream that broke after its first byte (no usage part left to say it): what
 * its error says the request was billed (`GatewayError.spent`), priced as `answerCost` prices a usage
 * part, with the attempts billed before it; undefined when the error says nothing of it. Pricing that
 * throws here leaves the cost out, logged as the internal error it is: the stream still ends with its
 * error frame.
 */
export function brokenStreamCost(ctx: RouteContext, servedBy: ServedBy, err: unknown): { usd: string | undefined; estimated: boolean } | undefined {
  const spent = GatewayError.isInstance(err) ? err.spent : undefined;
  if (spent === undefined) return undefined;
  let usd: string | undefined;
  try {
    usd = answerCost(ctx, servedBy, spent.usage, { attempts: spent.attempts }).usd;
  } catch (pricing) {
    ctx.internalError(pricing);
    usd = undefined;
  }
  return { usd, estimated: spent.estimated };
}

/**
 * The cost headers of an error answer: what the failed request's attempts were billed (`spent`, set by
 * the gateway when any was: a timeout after the send, a paid refusal), each at its own deployment's
 * price, the sum of its ledger rows; none when nothing was billed. An attempt unpriced: only
 * `x-switchyard-usage-estimated`, as on answers.
 */
export function failureCostHeaders(costOf: CostFn | undefined, spent: Spent | undefined): Record<string, string> | undefined {
  if (!spent?.attempts) return undefined;
  // The failure's `spent` names it to `costOf`: a reloading process prices it by the app that billed it.
  const cost = costOf ? costOfAttempts(costOf, spent.attempts, spent) : undefined;
  const headers: Record<string, string> = {};
  if (cost?.priced && cost.usd !== undefined) headers['x-switchyard-cost-usd'] = formatUsd(cost.usd);
  if (spent.estimated) headers['x-switchyard-usage-estimated'] = 'true';
  return headers;
}
