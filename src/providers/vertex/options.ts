import * as z from '../../config/zod.js';
import { timerMs } from '../../config/timer.js';
import { createPrivateKey } from 'node:crypto';
import { secretRef } from '../../config/secret-ref.js';

/** Vertex deployment keys. `location` defaults to the deployment's `region`. */
export const vertexOptions = () =>
  z
    .looseObject({
      project: z.string().min(1, 'expected the GCP project id').describe('the GCP project id, e.g. my-project'),
      location: z.string().min(1).optional(),
      region: z.string().min(1).optional(),
      /** Model publisher: google (Gemini, embeddings) or anthropic (Claude on Vertex). */
      publisher: z.enum(['google', 'anthropic']).default('google'),
      /**
       * Service-account or external-account (workload identity federation) JSON, as a secret reference
       * (`file:/path/key.json` or `${ENV}`). Without it, application default credentials are used:
       * GOOGLE_APPLICATION_CREDENTIALS, gcloud, or the metadata server (GCE, GKE workload identity, Cloud Run).
       */
      credentials_file: secretRef.optional(),
      /** Sign a self-signed JWT with the service-account key instead of exchanging it at the token endpoint. */
      self_signed_jwt: z.boolean().default(false),
      /** task_type sent with every embedding instance, e.g. RETRIEVAL_DOCUMENT. */
      embedding_task_type: z.string().min(1).optional(),
      /** Texts per :predict call; gemini-embedding-001 takes one, text-embedding-* up to 250. */
      embedding_batch_size: z.number().int().positive().max(250).optional(),
      /**
       * Claude's structured outputs (`output_config.format`, Claude 4.6 on): off by default, as Vertex has
       * them until the organization policy `constraints/vertexai.allowedPartnerModelFeatures` allows them
       * (a 400 otherwise); off, a JSON schema is asked for in the system prompt, with a warning.
       */
      structured_outputs: z.boolean().default(false),
      /** max_tokens sent to Claude when the client gives none (the Messages API requires one). */
      default_max_tokens: z.number().int().positive().default(4096),
      max_connections: z.number().int().positive().default(128),
      /** Idle keep-alive connections are closed after this; short, so a hung upstream's sockets go soon. */
      keep_alive_timeout_ms: timerMs().positive().default(4_000),
      /** Time allowed to open a connection (TCP and TLS). */
      connect_timeout_ms: timerMs().positive().default(5_000),
    })
    .superRefine((o, ctx) => {
      if (o.location === undefined && o.region === undefined) {
        ctx.addIssue({ code: 'custom', path: ['location'], message: 'expected a location (or a deployment region), e.g. europe-west4 or global' });
      }
      if (o.credentials_file !== undefined) {
        const problem = credentialsProblem(o.credentials_file.reveal());
        if (problem) ctx.addIssue({ code: 'custom', path: ['credentials_file'], message: problem });
      }
    })
    .transform((o) => ({ ...o, location: (o.location ?? o.region) as string }));

export type VertexOptions = z.infer<ReturnType<typeof vertexOptions>>;

/**
 * What is wrong with the text of Google credentials, so `check-config` finds it rather than every request
 * (a 502, "could not obtain Google credentials"): not JSON with a `type` (a path written without `file:`
 * said so), or a service account whose `private_key` is no PEM private key. Never quotes the text.
 */
function credentialsProblem(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { type?: unknown }).type !== 'string') {
    const path = /^(?:\/|\.{1,2}\/|~\/)\S*$|^\S+\.json$/.test(text.trim());
    return path ? 'expected Google credentials JSON; this looks like a path: write file:<path> to read the file' : 'expected Google credentials JSON with a "type" field';
  }
  const account = parsed as { type: string; private_key?: unknown };
  if (account.type !== 'service_account') return undefined;
  if (typeof account.private_key !== 'string') return 'the service account JSON has no "private_key"';
  try {
    createPrivateKey(account.private_key);
  } catch {
    return 'the service account\'s "private_key" is not a PEM private key';
  }
  return undefined;
}

/** A Gemini chat model (not `gemini-embedding-*`), which Vertex's embedding API does not serve. */
export const isGeminiChatModel = (model: string): boolean => model.startsWith('gemini-') && !model.startsWith('gemini-embedding');
