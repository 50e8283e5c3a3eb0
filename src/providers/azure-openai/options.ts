import * as z from '../../config/zod.js';
import { timerMs } from '../../config/timer.js';
import { httpUrl } from '../../config/url.js';
import { secretRef } from '../../config/secret-ref.js';

/** Latest GA data-plane version (Chat Completions with stream_options, embeddings with dimensions). */
export const DEFAULT_API_VERSION = '2024-10-21';

/** Where tokens for Azure OpenAI are issued for. */
export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

/** Which Microsoft Entra ID credential obtains the bearer token. */
const entraSchema = () =>
  z.discriminatedUnion('credential', [
    z.strictObject({
      type: z.literal('entra'),
      /** DefaultAzureCredential: env vars, workload identity, managed identity, Azure CLI, in that order. */
      credential: z.literal('default'),
      /** Client id of a user-assigned managed identity for the chain's managed-identity step. */
      client_id: z.string().min(1).optional(),
      scope: z.string().min(1).default(COGNITIVE_SERVICES_SCOPE),
    }),
    z.strictObject({
      type: z.literal('entra'),
      credential: z.literal('managed_identity'),
      /** Client id of a user-assigned identity; omit for the system-assigned one. */
      client_id: z.string().min(1).optional(),
      scope: z.string().min(1).default(COGNITIVE_SERVICES_SCOPE),
    }),
    z.strictObject({
      type: z.literal('entra'),
      credential: z.literal('client_secret'),
      tenant_id: z.string().min(1),
      client_id: z.string().min(1),
      client_secret: secretRef,
      /** Sovereign clouds, e.g. https://login.microsoftonline.us. */
      authority_host: httpUrl({ invalid: 'expected an https URL such as https://login.microsoftonline.us', fix: 'the client secret is client_secret', query: 'none', httpsOnly: true }).optional(),
      scope: z.string().min(1).default(COGNITIVE_SERVICES_SCOPE),
    }),
  ]);

export type EntraAuth = z.infer<ReturnType<typeof entraSchema>>;

const authSchema = () => z.discriminatedUnion('type', [z.strictObject({ type: z.literal('api_key') }), entraSchema()]);

export type AzureAuth = z.infer<ReturnType<typeof authSchema>>;

/**
 * The Azure-specific keys of a deployment. `endpoint` is the resource base URL
 * (https://<resource>.openai.azure.com, a custom domain or a private-endpoint host), without `/openai`.
 */
export const azureOptionsSchema = () =>
  z
    .looseObject({
      endpoint: z.url({ protocol: /^https?$/, error: 'expected the resource URL, e.g. https://my-resource.openai.azure.com' }).describe('the resource URL, e.g. https://my-resource.openai.azure.com'),
      /** `deployments`: /openai/deployments/{name}/...?api-version=; `v1`: /openai/v1/... with model = name. */
      api: z.enum(['deployments', 'v1']).default('deployments'),
      api_version: z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'expected an api-version like 2024-10-21').default(DEFAULT_API_VERSION),
      /** The Azure deployment name; defaults to the deployment's `model`. */
      deployment_name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, and . _ -').optional(),
      /** Defaults to `api_key` when the deployment has one, else Entra ID with DefaultAzureCredential. */
      auth: authSchema().optional(),
      /** `models` lists the resource's models (free); `completion` sends a 1-token chat to the deployment. */
      probe: z.enum(['models', 'completion']).default('models'),
      max_connections: z.number().int().positive().default(128),
      /** Idle keep-alive connections are closed after this; short, so a hung upstream's sockets go soon. */
      keep_alive_timeout_ms: timerMs().positive().default(4_000),
      /** Time allowed to open a connection (TCP and TLS). */
      connect_timeout_ms: timerMs().positive().default(5_000),
      api_key: z.unknown().optional(),
    })
    .superRefine((o, ctx) => {
      const url = new URL(o.endpoint);
      if (/\/openai(\/v1)?\/?$/.test(url.pathname)) {
        ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'give the resource URL without the /openai path; the provider adds it' });
      }
      if (o.auth?.type === 'api_key' && o.api_key === undefined) {
        ctx.addIssue({ code: 'custom', path: ['api_key'], message: 'auth type api_key needs an api_key secret reference' });
      }
      if (o.auth?.type === 'entra' && o.api_key !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['api_key'], message: 'api_key and Entra ID auth are mutually exclusive' });
      }
    });

export type AzureOpenAIOptions = z.infer<ReturnType<typeof azureOptionsSchema>>;
