import type { ProviderFactory } from '../registry.js';
import { claudeTakesPrefill, messagesPassthroughProblem } from '../dialects/anthropic-messages/index.js';
import { isGeminiChatModel, vertexOptions, type VertexOptions } from './options.js';
import { lazyProvider } from '../lazy.js';

export type { VertexOptions } from './options.js';

/**
 * GCP Vertex AI: Gemini (generateContent, SSE streaming), text embeddings (:predict) and Claude on
 * Vertex (rawPredict with the Anthropic Messages body), authenticated with Google OAuth tokens.
 *
 *   - id: gemini-eu
 *     provider: vertex
 *     model: gemini-2.5-flash          # or claude-sonnet-4-5@20250929 with publisher: anthropic
 *     project: my-project
 *     region: europe-west4             # location; `global` uses aiplatform.googleapis.com
 *     credentials_file: file:/etc/switchyard/sa.json   # omit for application default credentials
 *
 * `endpoint` replaces the Google host (private service connect, the simulator); the /v1/projects/...
 * path is appended to it. The probe counts tokens (countTokens, or count-tokens:rawPredict for
 * Claude): free, and it exercises credentials, project, location and model access in one call.
 */
export const vertex: ProviderFactory<VertexOptions> = {
  type: 'vertex',
  options: vertexOptions,
  // Google OAuth tokens on every call.
  sendsCredentials: () => true,
  // Claude takes them as Messages body fields; Gemini's generationConfig is a closed schema, not a free map.
  passthroughProblem: (fields, _deployment, opts) =>
    opts.publisher === 'anthropic' ? messagesPassthroughProblem(fields) : 'Gemini requests have no free-form field to carry passthrough fields (publisher google)',
  // google-auth-library loads only for configs that name Vertex.
  // Claude continues a final assistant message, except the models that refuse one; Gemini does not
  // reliably continue a final `model` turn. Both publishers count tokens for free (countTokens,
  // count-tokens:rawPredict).
  create: (deployment, opts) =>
    lazyProvider('vertex', async () => new (await import('./provider.js')).VertexProvider(deployment, opts), {
      prefill: opts.publisher === 'anthropic' && claudeTakesPrefill(deployment.model),
      counts: true,
      // Claude on Vertex has no embeddings; Gemini chat models are not served by the embedding API.
      embeds: opts.publisher === 'google' && !isGeminiChatModel(deployment.model),
    }),
};
