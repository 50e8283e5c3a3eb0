import * as z from '../../config/zod.js';
import { timerMs } from '../../config/timer.js';
import { headerSecretRef, secretRef } from '../../config/secret-ref.js';
import type { Provider } from '../../core/provider.js';
import type { ProviderFactory } from '../registry.js';
// The dialect's index would load the AWS event-stream codec: only the model-family rule is needed here.
import { embeddingFamily } from '../dialects/bedrock-converse/embeddings.js';
import { conversePassthroughProblem } from '../dialects/bedrock-converse/encode-request.js';
import { isClaudeModel } from '../dialects/bedrock-converse/model-family.js';
import { claudeTakesPrefill } from '../dialects/anthropic-messages/claude-prefill.js';
import { lazyProvider } from '../lazy.js';
import { bedrockBaseModelProblem, guessedRules, rulesModel } from './base-model.js';

const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const options = () =>
  z
    .looseObject({
      /** The AWS region the requests go to and are signed for (an inference profile's source region). */
      region: z.string().regex(AWS_REGION, 'expected an AWS region such as us-east-1').describe('the AWS region, e.g. us-east-1'),
      /** Explicit keys; without them the AWS default credential chain is used. The key id and the token travel in headers. */
      access_key_id: headerSecretRef.optional(),
      secret_access_key: secretRef.optional(),
      session_token: headerSecretRef.optional(),
      /** Shared-config profile for the default chain. */
      profile: z.string().min(1).optional(),
      max_connections: z.number().int().positive().default(128),
      /** Idle keep-alive connections are closed after this; short, so a hung upstream's sockets go soon. */
      keep_alive_timeout_ms: timerMs().positive().default(4_000),
      /** Time allowed to open a connection (TCP and TLS). */
      connect_timeout_ms: timerMs().positive().default(5_000),
      /** InvokeModel body for embeddings; guessed from the model id when absent. */
      embedding_family: z.enum(['titan', 'cohere']).optional(),
      /** Titan takes one text a call: how many calls one embeddings request may run at once. */
      embedding_concurrency: z.number().int().min(1).max(64).default(8),
      cohere_input_type: z.enum(['search_document', 'search_query', 'classification', 'clustering']).default('search_document'),
      /** Puts a cachePoint after the system prompt (Bedrock prompt caching, for models that have it). */
      cache_system_prompt: z.boolean().default(false),
    })
    .superRefine((o, ctx) => {
      if ((o.access_key_id === undefined) !== (o.secret_access_key === undefined)) {
        ctx.addIssue({ code: 'custom', path: [o.access_key_id === undefined ? 'access_key_id' : 'secret_access_key'], message: 'access_key_id and secret_access_key go together' });
      }
      if (o.session_token !== undefined && o.access_key_id === undefined) {
        ctx.addIssue({ code: 'custom', path: ['session_token'], message: 'session_token needs access_key_id and secret_access_key' });
      }
    });

export type BedrockOptions = z.infer<ReturnType<typeof options>>;

/**
 * AWS Bedrock Runtime: Converse / ConverseStream for chat, InvokeModel for Titan and Cohere embeddings.
 * Requests are SigV4-signed (explicit keys or the default chain), or carry a Bedrock API key as a
 * bearer token when the deployment sets `api_key`.
 */
export const bedrock: ProviderFactory<BedrockOptions> = {
  type: 'bedrock',
  options,
  // Signed with keys from the config or the default chain (a session token rides in a header), or an API key.
  sendsCredentials: () => true,
  // Converse carries them in additionalModelRequestFields (except the fields it writes there itself); the embedding bodies have no such slot.
  passthroughProblem: (fields, deployment, opts) =>
    opts.embedding_family !== undefined || embeddingFamily(rulesModel(deployment)) !== undefined
      ? 'Bedrock embedding models take no passthrough fields'
      : conversePassthroughProblem(fields, rulesModel(deployment)),
  // For an application inference profile or a provisioned or custom model, whose ARN hides the model.
  baseModelProblem: bedrockBaseModelProblem,
  // The AWS SDK's credential chain and the signer load only for configs that name Bedrock.
  create: (deployment, opts, deps) => {
    const guessed = guessedRules(deployment);
    if (guessed !== undefined) deps.logger.warn({ provider: 'bedrock', model: deployment.model }, guessed);
    // On Converse, Claude models continue a final assistant message (inference profile ids included),
    // except those that refuse one; CountTokens counts only for Claude models (Nova and others are
    // refused), so only they count.
    // Base ids, inference profile ids (`us.anthropic.claude-...`), the ARNs naming either, and base_model.
    const model = rulesModel(deployment);
    const claude = isClaudeModel(model);
    const load = async (): Promise<Provider> => {
      const [{ BedrockProvider }, { credentialsFor }] = await Promise.all([import('./provider.js'), import('./credentials.js')]);
      return new BedrockProvider(deployment, opts, deployment.api_key ? undefined : credentialsFor(opts));
    };
    // Only Titan and Cohere embedding models (or a configured `embedding_family`) embed.
    const embeds = opts.embedding_family !== undefined || embeddingFamily(model) !== undefined;
    return lazyProvider('bedrock', load, { prefill: claude && claudeTakesPrefill(model), counts: claude, embeds });
  },
};
