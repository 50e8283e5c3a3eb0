import { replySourceName } from '../core/errors.js';

/**
 * Whose upstream a call reaches: the provider type its errors carry (`GatewayError.provider`), and the
 * deployment their messages name, as the gateway's words for an upstream's error reply do
 * (`upstreamMessage`): one name for a failure before the answer and the same failure mid-stream.
 */
export interface Upstream {
  readonly provider: string;
  readonly deployment: string;
}

/** An upstream as messages name it: `deployment (provider)`, or the one when they are the same. */
export function upstreamName(upstream: Upstream): string {
  return replySourceName(upstream);
}

/**
 * Who a dialect decodes for: the call's `Upstream`, or a provider type alone where no deployment is
 * known (a dialect used on its own, as its specs do), which then names the upstream by its type.
 */
export type UpstreamRef = Upstream | string;

/** The provider type an error carries. */
export function providerOf(upstream: UpstreamRef): string {
  return typeof upstream === 'string' ? upstream : upstream.provider;
}

/** The upstream as a message names it (`upstreamName`). */
export function nameOf(upstream: UpstreamRef): string {
  return replySourceName(upstream);
}
