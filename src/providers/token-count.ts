import { GatewayError } from '../core/errors.js';
import { tokenCount } from '../core/types.js';
import { nameOf, providerOf, type UpstreamRef } from './upstream.js';

/**
 * The token count a counting endpoint answered under `field` (`input_tokens`, `totalTokens`,
 * `inputTokens`): a non-negative integer, or a bad_upstream_response error that quotes nothing back.
 */
export function readTokenCount(json: unknown, field: string, upstream: UpstreamRef): number {
  const value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[field] : undefined;
  const count = tokenCount(value);
  if (count !== undefined) return count;
  throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} answered a token count without a valid ${field}.`, provider: providerOf(upstream) });
}
