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

/** A virtual key's id: 12 hex digits (`sy-<id>-<secret>`). */
export const VIRTUAL_KEY_ID = /^[0-9a-f]{12}$/;

/**
 * The tag names a key's own fields set: `key` (its id), `team`, `user`. A tag of one of those names would
 * be overwritten, or put a key with no `team` into a team (sharing that team's cached answers, budgets
 * and usage) where the reader of the config sees attribution only.
 */
const RESERVED_TAGS: Readonly<Record<string, string>> = {
  key: 'the key tag is the key\'s id, set by the gateway',
  team: 'set the key\'s team with its own `team` field, not a tag',
  user: 'set the key\'s user with its own field, not a tag',
};

/**
 * `tags` less the reserved names, for a virtual key stored before they were refused: its policy still
 * holds them, and a `team` tag would still put it in that team.
 */
export function freeTags(tags: Readonly<Record<string, string>>): { free: Record<string, string>; dropped: string[] } {
  const free: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(tags)) {
    if (Object.hasOwn(RESERVED_TAGS, name)) dropped.push(name);
    else free[name] = value;
  }
  return { free, dropped };
}

/** A key's free-form tags (attribution, budgets and rate-limit matching), without the reserved names. */
export const keyTagsSchema = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  for (const name of Object.keys(tags)) {
    // Said here rather than by the name's own schema, whose refusal zod words "Invalid key in record".
    if (name === '') ctx.addIssue({ code: 'custom', path: [name], message: 'a tag needs a name: give it one, or leave the tag out' });
    const why = Object.hasOwn(RESERVED_TAGS, name) ? RESERVED_TAGS[name] : undefined;
    if (why !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a free tag: ${why}` });
  }
});

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
