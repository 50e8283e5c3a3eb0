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
  // Every request's tags get the front door it came through, which would overwrite the key's own.
  ingress: 'the ingress tag is the front door a request came through, set by the gateway',
};

/**
 * How far a key's tags may go. Every ledger row of the key copies them (and a budget's `per: <tag>` puts
 * a value in a metric label), so they are bounded for the rows' sake: 32 tags of a 64-character name and
 * a 256-character value come to ~10 KB a row at worst, where unbounded tags let one admin write turn each
 * request of a key into megabytes of ledger. 256 holds any project, cost centre or ticket id.
 */
export const TAG_LIMITS = { count: 32, name: 64, value: 256 } as const;

/** A tag name reports (`tag:NAME`), budgets (`per`, `match`) and rate limits (`match`) can name: the same characters they take. */
export const TAG_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * What a tag value may not hold: C0 and C1 controls, DEL, and the bidi controls and line separators that
 * reorder or break text. A tag value is shown in terminals, spreadsheets and metric labels; none needs them.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/**
 * What keeps `value` from being a tag value, in words, or none: longer than `TAG_LIMITS.value`, or holding
 * a control character (the first named by code point and index). The one value rule: a key's tags, and
 * whatever else the gateway puts in a tag or compares with one (a key's `team` and `user`, a `match`
 * value), are checked by it, so the bounds stay in one place.
 */
export function tagValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > TAG_LIMITS.value) problems.push(`a tag value is at most ${TAG_LIMITS.value} characters (this has ${value.length}): every ledger row of the key copies it`);
  const control = CONTROL.exec(value);
  if (control) {
    const code = `U+${(control[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
    problems.push(`a tag value must not hold control characters (${code} at ${control.index}): reports, spreadsheets and terminals show it`);
  }
  return problems;
}

/** A key's `metadata`, as UTF-8 JSON, at most: notes about the key, stored with it (never in ledger rows). */
export const METADATA_MAX_BYTES = 8192;

const CONTROLS = new RegExp(CONTROL.source, 'g');

/**
 * A value stored before `tagValueProblems` refused it (a virtual key's tag, team or owner), as the gateway
 * serves it: control characters replaced by U+FFFD and cut to `TAG_LIMITS.value`, so no row, report or
 * log line carries them, while the key's holder keeps being served.
 */
export function servedTagValue(value: string): string {
  return cut(value.replace(CONTROLS, '\uFFFD'), TAG_LIMITS.value);
}

/** `text` cut to at most `max` UTF-16 units, never between the two halves of a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max);
}

/** What a stored key's tags are served as: `free` to serve, and what of the stored tags was not served as stored. */
export interface FreeTags {
  free: Record<string, string>;
  /** Reserved names (`key`, `team`, `user`), left out. */
  dropped: string[];
  /** Names whose value was cut to `TAG_LIMITS.value` or had control characters replaced (`servedTagValue`). */
  cut: string[];
  /** How many tags were left out for a name no report, budget or rate limit can use, or past `TAG_LIMITS.count`. */
  leftOut: number;
}

/**
 * `tags` of a virtual key stored before the names `key`, `team` and `user` and the size limits were
 * refused, as the gateway serves them: the reserved names left out (a `team` tag would still put the key
 * in that team), names past `TAG_LIMITS.name` or outside the characters reports, budgets and rate limits
 * take left out (nothing could select them), the first `TAG_LIMITS.count` of the rest kept, values as
 * `servedTagValue` serves them. Cut rather than refused: the key's holder keeps being served, and its rows shrink.
 */
export function freeTags(tags: Readonly<Record<string, string>>): FreeTags {
  const out: FreeTags = { free: {}, dropped: [], cut: [], leftOut: 0 };
  let kept = 0;
  for (const [name, value] of Object.entries(tags)) {
    if (Object.hasOwn(RESERVED_TAGS, name)) {
      out.dropped.push(name);
      continue;
    }
    if (name.length > TAG_LIMITS.name || !TAG_NAME.test(name) || kept === TAG_LIMITS.count) {
      out.leftOut += 1;
      continue;
    }
    kept += 1;
    const served = servedTagValue(value);
    out.free[name] = served;
    if (served !== value) out.cut.push(name);
  }
  return out;
}

/**
 * A tag name as a problem's path can hold it: a short printable name is its own path element; a long or
 * unprintable one is quoted in the message, shortened, and the problem put on `tags` itself.
 */
function namedAt(name: string): { path: string[]; quoted: string } {
  if (name.length <= TAG_LIMITS.name && /^[\x20-\x7e]*$/.test(name)) return { path: [name], quoted: `"${name}"` };
  return { path: [], quoted: `${JSON.stringify(name.length > 32 ? name.slice(0, 32) : name)}${name.length > 32 ? `... (${name.length} characters)` : ''}` };
}

/**
 * A key's free-form tags (attribution, budgets and rate-limit matching): at most `TAG_LIMITS.count`, named
 * as reports, budgets and rate limits name tags, without the reserved names, each value bounded and free
 * of control characters. Shared by config `api_keys[].tags` and virtual keys.
 */
export const keyTagsSchema = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  const names = Object.keys(tags);
  if (names.length > TAG_LIMITS.count) {
    // Only this: a body of 100,000 tags would otherwise answer 100,000 problems.
    ctx.addIssue({ code: 'custom', path: [], message: `at most ${TAG_LIMITS.count} tags (this has ${names.length}): every ledger row of the key copies them all` });
    return;
  }
  for (const name of names) {
    // Said here rather than by the name's own schema, whose refusal zod words "Invalid key in record".
    if (name === '') {
      ctx.addIssue({ code: 'custom', path: [name], message: 'a tag needs a name: give it one, or leave the tag out' });
      continue;
    }
    const why = Object.hasOwn(RESERVED_TAGS, name) ? RESERVED_TAGS[name] : undefined;
    if (why !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a free tag: ${why}` });
    if (name.length > TAG_LIMITS.name || !TAG_NAME.test(name)) {
      const at = namedAt(name);
      const problem = name.length > TAG_LIMITS.name ? `the tag name ${at.quoted} is longer than ${TAG_LIMITS.name} characters` : `${at.quoted} is no tag name`;
      ctx.addIssue({ code: 'custom', path: at.path, message: `${problem}: use at most ${TAG_LIMITS.name} letters, digits, _ . - (what reports' tag:NAME, budgets and rate limits take)` });
      continue;
    }
    for (const message of tagValueProblems(tags[name] as string)) ctx.addIssue({ code: 'custom', path: [name], message });
  }
});

/** A virtual key's `metadata`: notes of scalar values, at most `METADATA_MAX_BYTES` as JSON. */
export const keyMetadataSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).superRefine((metadata, ctx) => {
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > METADATA_MAX_BYTES) {
    ctx.addIssue({ code: 'custom', path: [], message: `at most ${METADATA_MAX_BYTES} bytes as JSON (this is ${bytes}): keep longer documents elsewhere and put their link here` });
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
