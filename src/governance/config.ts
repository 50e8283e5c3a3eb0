import * as z from '../config/zod.js';
import { secretRef } from '../config/secret-ref.js';
import { Secret } from '../config/secret.js';

/** `keys:` in the config: virtual keys created at run time, kept in the ledger database. */
export const keysSchema = z
  .strictObject({
    /** Server secret the stored key HMACs are keyed with (`${SWITCHYARD_KEY_SECRET}`); unset: no virtual keys. */
    hmac_secret: secretRef.optional(),
    /** How often each replica polls the database for key changes; revocation reaches it within this. */
    refresh_ms: z.number().int().min(50).max(1000).default(500),
  })
  .superRefine((k, ctx) => {
    // A secret that did not resolve has its own issue already.
    if (k.hmac_secret instanceof Secret && k.hmac_secret.reveal().length < 32) {
      ctx.addIssue({ code: 'custom', path: ['hmac_secret'], message: 'must be at least 32 characters (e.g. `openssl rand -hex 32`)' });
    }
  })
  .prefault({});

export type KeysConfig = z.infer<typeof keysSchema>;

/**
 * `residency:` in the config: the regions each residency tag allows (`eu: { regions: [eu-*, europe-*] }`),
 * which `check-config --explain` proves every reachable deployment stays in.
 */
export const residencySchema = z
  .record(
    z.string().min(1),
    z.strictObject({
      /** Region names or patterns with `*` (e.g. `eu-*`), matched against deployments' `region`. */
      regions: z.array(z.string().min(1)).min(1, 'list at least one region or pattern'),
    }),
  )
  .default({});

export type ResidencyConfig = z.infer<typeof residencySchema>;
