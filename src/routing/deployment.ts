import * as z from '../config/zod.js';
import { provisionedSchema } from './provisioned.js';
import { quotaSchema } from './quota.js';

/**
 * What a deployment can do. `reasoning` is the one a request never needs: it tells the openai-chat
 * dialect that the model takes `reasoning_effort` (without it the setting is dropped with a warning),
 * and is not a routing filter.
 */
export const CAPABILITIES = ['tools', 'vision', 'files', 'json', 'embeddings', 'streaming', 'reasoning'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/**
 * Which media URLs a deployment's upstream may be asked to fetch (`media_urls`, checked in
 * media-urls.ts): `public` only those whose host is not a loopback, private, link-local or otherwise
 * non-public address or a localhost name; `any` every http(s) URL; `none` no URL (inline bytes only).
 */
export const MEDIA_URL_POLICIES = ['public', 'any', 'none'] as const;
export type MediaUrlPolicy = (typeof MEDIA_URL_POLICIES)[number];

/**
 * Routing fields of a deployment, spread into the config's deployment schema. `capabilities` left
 * out means "not declared": the capability filter then lets every request through, so existing
 * configs keep working; once declared, the list is strict.
 */
export const deploymentRoutingShape = {
  capabilities: z.array(z.enum(CAPABILITIES)).optional(),
  /** The model's context window in tokens (prompt + completion). */
  context_window: z.number().int().positive().optional(),
  /** The most completion tokens the model may produce; a request asking for more is refused here (400). */
  max_output_tokens: z.number().int().positive().optional(),
  provisioned: provisionedSchema.optional(),
  /**
   * Runs on capacity that can be taken back (spot / preemptible nodes of a self-hosted model server):
   * an interruption notice for it (POST /v1/switchyard/deployments/{id}/interruption) drains it.
   */
  interruptible: z.boolean().default(false),
  /** The provider's own quota for this deployment (requests and tokens per minute); see quota.ts. */
  quota: quotaSchema.optional(),
  /** Which media URLs its upstream may be asked to fetch (media-urls.ts); `routing.media_urls` when unset. */
  media_urls: z.enum(MEDIA_URL_POLICIES).optional(),
};

export type DeploymentRouting = z.infer<z.ZodObject<typeof deploymentRoutingShape>>;
