import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../core/errors.js';
import { Stage, type Needs } from './filters.js';

/** Why no deployment of `name` is left, from the filter stage that removed the last candidate. */
export function filterError(stage: Stage, needs: Needs, name: string, retryInMs: number): GatewayError {
  switch (stage) {
    case Stage.Residency:
      return new GatewayError({
        kind: 'residency_violation',
        message: `No deployment of '${name}' may serve requests restricted to '${needs.residency}'.`,
        code: 'residency_violation',
      });
    case Stage.Capabilities:
      return new GatewayError({
        kind: 'invalid_request',
        message: `No deployment of '${name}' supports ${needs.capabilities.join(', ')}.`,
        param: 'model',
        code: 'unsupported_capability',
      });
    case Stage.MediaUrls:
      return mediaUrlRefused(needs, name);
    case Stage.ContextWindow:
      return new GatewayError({
        kind: 'context_window_exceeded',
        message: `The prompt (about ${needs.promptTokens} tokens) exceeds the context window of every deployment of '${name}'.`,
        param: 'messages',
        code: 'context_length_exceeded',
      });
    case Stage.Quota:
    case Stage.Cooling:
      // Some (or all) candidates are throttled or at their quota: the client hears when to come back.
      return new GatewayError({
        kind: 'rate_limited',
        message: `Every deployment of '${name}' is rate-limited or unavailable; retry after the cool-down.`,
        retryAfterMs: Math.max(0, retryInMs),
      });
    case Stage.Drained:
      return new GatewayError({
        kind: 'no_deployment_available',
        message: `Every deployment of '${name}' is unavailable (drained).`,
        retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS,
      });
    case Stage.OutputLimit: {
      const ask = needs.maxTokens;
      return new GatewayError({
        kind: 'invalid_request',
        message: `${ask?.param} is too large: ${ask?.value}. It exceeds the output limit (max_output_tokens) of every deployment of '${name}'.`,
        param: ask?.param,
        code: 'invalid_value',
      });
    }
    default:
      return new GatewayError({
        kind: 'no_deployment_available',
        message: `Every deployment of '${name}' is unavailable (circuit open).`,
        // Breakers held by health checks say no time: the client still gets a hint.
        retryAfterMs: Number.isFinite(retryInMs) ? Math.max(0, retryInMs) : DEFAULT_CLIENT_RETRY_AFTER_MS,
      });
  }
}

/** A media URL no deployment of `name` may be given (`media_urls`), named by its place in the request. */
function mediaUrlRefused(needs: Needs, name: string): GatewayError {
  // Every deployment refusing it is `public` or `none`: a non-public URL is refused by both.
  const notPublic = needs.mediaUrls?.notPublic;
  const part = notPublic ?? needs.mediaUrls?.first;
  const why = notPublic === undefined ? `no deployment of '${name}' takes media by URL` : `its host is not a public address, which no deployment of '${name}' may be asked to fetch from`;
  return new GatewayError({
    kind: 'invalid_request',
    message: `'${part}' is given by URL, and ${why} (media_urls). Send the bytes inline (base64) instead.`,
    param: part,
    code: 'media_url_not_allowed',
  });
}
