import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../core/errors.js';
import { echoed } from '../core/json.js';
import { Stage, type Needs } from './filters.js';

/**
 * Why no deployment of `name` is left, from the filter stage that removed the last candidate. `pinned`:
 * the one deployment the client named (x-switchyard-deployment or as the model), which the message names
 * rather than saying every deployment of the group is out.
 */
export function filterError(stage: Stage, needs: Needs, name: string, retryInMs: number, pinned?: string): GatewayError {
  const none = pinned === undefined ? `No deployment of '${name}'` : `Deployment '${pinned}'`;
  const every = pinned === undefined ? `Every deployment of '${name}' is` : `Deployment '${pinned}' is`;
  const ofEvery = pinned === undefined ? `every deployment of '${name}'` : `deployment '${pinned}'`;
  switch (stage) {
    case Stage.Residency:
      return new GatewayError({
        kind: 'residency_violation',
        // The residency is the caller's header, clipped as a model name is.
        message: `${pinned === undefined ? `${none} may` : `${none} may not`} serve requests restricted to '${echoed(needs.residency, 64)}'.`,
        code: 'residency_violation',
      });
    case Stage.Capabilities:
      return new GatewayError({
        kind: 'invalid_request',
        message: pinned === undefined ? `${none} supports ${needs.capabilities.join(', ')}.` : `${none} does not support ${needs.capabilities.join(', ')}.`,
        param: 'model',
        code: 'unsupported_capability',
      });
    case Stage.MediaUrls:
      return mediaUrlRefused(needs, name);
    case Stage.ContextWindow:
      return new GatewayError({
        kind: 'context_window_exceeded',
        message: `The prompt (about ${needs.promptTokens} tokens) exceeds the context window of ${ofEvery}.`,
        param: 'messages',
        code: 'context_length_exceeded',
      });
    case Stage.Quota:
    case Stage.Cooling:
      // Some (or all) candidates are throttled or at their quota: the client hears when to come back.
      return new GatewayError({
        kind: 'rate_limited',
        message: `${every} rate-limited or unavailable; retry after the cool-down.`,
        retryAfterMs: Math.max(0, retryInMs),
      });
    case Stage.Drained:
      return new GatewayError({
        kind: 'no_deployment_available',
        message: `${every} unavailable (drained).`,
        retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS,
      });
    case Stage.OutputLimit: {
      const ask = needs.maxTokens;
      return new GatewayError({
        kind: 'invalid_request',
        message: `${ask?.param} is too large: ${ask?.value}. It exceeds the output limit (max_output_tokens) of ${ofEvery}.`,
        param: ask?.param,
        code: 'invalid_value',
      });
    }
    default:
      return new GatewayError({
        kind: 'no_deployment_available',
        message: `${every} unavailable (circuit open).`,
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
