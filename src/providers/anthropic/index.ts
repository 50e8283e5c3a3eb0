import * as z from '../../config/zod.js';
import { timerMs } from '../../config/timer.js';
import type { ProviderFactory } from '../registry.js';
import { claudeTakesPrefill, messagesPassthroughProblem } from '../dialects/anthropic-messages/index.js';
import { lazyProvider } from '../lazy.js';

const options = () =>
  z.looseObject({
    /** API origin; `/v1/messages` is appended (a trailing `/v1` is tolerated). */
    endpoint: z.url().default('https://api.anthropic.com'),
    /** The `anthropic-version` header, pinned per deployment; it decides auth and sampling rules (see version.ts). */
    anthropic_version: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a version date like 2023-06-01').default('2023-06-01'),
    /** Values for the `anthropic-beta` header (e.g. prompt-caching or context-window betas). */
    anthropic_beta: z.array(z.string().min(1)).default([]),
    /** `max_tokens` is required by the Messages API: sent when the client gives none. */
    max_tokens: z.number().int().positive().default(4096),
    max_connections: z.number().int().positive().default(128),
    /** Idle keep-alive connections are closed after this; short, so a hung upstream's sockets go soon. */
    keep_alive_timeout_ms: timerMs().positive().default(4_000),
    /** Time allowed to open a connection (TCP and TLS). */
    connect_timeout_ms: timerMs().positive().default(5_000),
  });

export type AnthropicOptions = z.infer<ReturnType<typeof options>>;

/** The direct Anthropic Messages API (api.anthropic.com or a compatible proxy). */
export const anthropic: ProviderFactory<AnthropicOptions> = {
  type: 'anthropic',
  options,
  sendsCredentials: () => true,
  passthroughProblem: (fields) => messagesPassthroughProblem(fields),
  // The provider and its Messages codec load only for configs that name Anthropic; its model continues a
  // final assistant message (prefill) unless it is one of the Claude models that refuse one, and it counts
  // tokens (count_tokens).
  create: (deployment, opts, deps) =>
    lazyProvider('anthropic', async () => new (await import('./provider.js')).AnthropicProvider(deployment, opts, deps.logger), {
      prefill: claudeTakesPrefill(deployment.model),
      counts: true,
      // Anthropic's API has no embeddings.
      embeds: false,
    }),
};
