/**
 * Removes anything that looks like a credential from text an upstream wrote, before it is logged or
 * (where a deployment allows it) shown to a client. Upstreams echo what they were sent: partial keys,
 * signed headers, whole tokens. Two nets: the exact secret values the config resolved, and patterns for
 * credentials no config names (tokens minted at run time, keys of other accounts). The first is
 * `secret-registry.ts`'s.
 */

import { REDACTED, hasSecrets, withoutSecrets } from './secret-registry.js';

export { isRegisteredSecret, registerSecret } from './secret-registry.js';

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** A cookie's name=value (RFC 6265: a name has no separator, a value may be quoted). */
const COOKIE_PAIR = `[^\\s=;,"':]+=(?:"[^\\s";,]*"|[^\\s;,"']*)`;

/**
 * A URL's user info that reads as a credential rather than a name: long, or a run of letters and
 * digits in both cases or without the separators names have (a name such as `svc-deploy-2024` stays).
 */
function isTokenLike(user: string): boolean {
  if (user.length >= 32) return true;
  if (user.length < 16 || !/[0-9]/.test(user)) return false;
  return (/[a-z]/.test(user) && /[A-Z]/.test(user)) || /^[A-Za-z0-9]+$/.test(user);
}

/** The shortest value after `Bearer` or `Basic` taken for a token: shorter is a word of prose. */
const MIN_TOKEN_LENGTH = 8;

/** Words of 8 letters or more that follow a scheme's name in prose ("Basic authentication failed"). */
const SCHEME_PROSE = new Set(['authentication', 'authorization', 'authorisation', 'authenticate', 'authenticated', 'credential', 'credentials', 'required', 'accepted', 'expected', 'supported', 'unsupported', 'disabled', 'rejected']);

/**
 * Whether the value after a Bearer or Basic scheme is a credential: 8 characters or more (sentence
 * punctuation after it aside) that are not one word of prose, or for Basic, base64 that decodes to a
 * `user:password` of any length.
 */
function isSchemeCredential(scheme: string, value: string): boolean {
  if (/^basic/i.test(scheme) && isBasicPair(value)) return true;
  const word = value.replace(/[.!?:)\]]+$/, '');
  return word.length >= MIN_TOKEN_LENGTH && !(/^[A-Za-z]+$/.test(word) && SCHEME_PROSE.has(word.toLowerCase()));
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** True when `value` is base64 of printable UTF-8 text holding a colon: Basic's `user:password`. */
function isBasicPair(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  try {
    const text = STRICT_UTF8.decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
    // eslint-disable-next-line no-control-regex -- a control character means the bytes are no text
    return text.includes(':') && !/[\u0000-\u001F\u007F]/.test(text);
  } catch {
    return false;
  }
}

/** A replacement string (`$1` etc.), or a function given the match and its groups. */
type Replacement = string | ((match: string, ...groups: Array<string | undefined>) => string);

/*
 * Every pattern runs in time linear in the text, whatever the text: where a pattern could start inside a
 * run it would then scan to the end of and fail (a JWT's segment, a URL's scheme), it starts only where
 * nothing it scans could start it again, or it always succeeds on the run and a function decides.
 */
const PATTERNS: ReadonlyArray<readonly [RegExp, Replacement]> = [
  // PEM private keys, also when cut off before their END line.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // Bearer and Basic credentials up to a delimiter (a query's `&` among them), a bearer token also after
  // a colon (`Bearer: tok`), as some clients and upstreams write it; only a value shaped like one
  // (`isSchemeCredential`), so the word after a scheme named in prose stays ("Bearer tokens are not
  // accepted", "Basic tier").
  [
    /\b(Bearer(?:\s*[:=]\s*|\s+)|Basic\s+)(?!(?:Bearer|Basic)\b)([^\s"',;&}]+)/gi,
    (match, scheme = '', value = '') => (isSchemeCredential(scheme, value) ? `${scheme}${REDACTED}` : match),
  ],
  // AWS SigV4's authorization header: everything after the scheme up to a delimiter.
  [/\b(AWS4-HMAC-SHA256\s+)[^\s"',;}]+/gi, `$1${REDACTED}`],
  // Cookie and Set-Cookie values: each name=value pair (a session cookie is as good as a password), in a
  // header line or a list of them (Node's headers hold Set-Cookie as an array). Only pairs, so prose such
  // as "cookie: required" stays; a Set-Cookie's attributes after a flag stay too.
  [
    new RegExp(`\\b((?:set-)?cookies?)(["']?\\s*:\\s*\\[?\\s*["']?)${COOKIE_PAIR}(?:(?:;\\s*|["']?\\s*,\\s*["']?)${COOKIE_PAIR})*`, 'gi'),
    `$1$2${REDACTED}`,
  ],
  // name=value / "name": "value" pairs whose name says what the value is (schemes were handled above);
  // `sig` is an Azure SAS URL's signature, which %2B and %2F cut into runs too short for the last net.
  [
    /\b((?:x-)?api[-_]?key|access[-_]?token|refresh[-_]?token|id[-_]?token|client[-_]?secret|secret(?:[-_]access)?[-_]?key|session[-_]?token|x-amz-security-token|security[-_]?token|password|signature|sig|credential|authorization)(["']?\s*[:=]\s*["']?)(?!(?:Bearer|Basic|AWS4-HMAC-SHA256)\s)[^\s"',;&}]+/gi,
    `$1$2${REDACTED}`,
  ],
  // JWTs (Vertex self-signed tokens, Entra ID tokens). A run with no dot after its first segment is taken
  // whole and kept: a later `-eyJ` in it has no dot either.
  [/\beyJ[A-Za-z0-9_-]{4,}(\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?)?/g, (match, rest) => (rest === undefined ? match : REDACTED)],
  // AWS access key ids (long-term AKIA, temporary ASIA).
  [/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, REDACTED],
  // OpenAI / Anthropic style keys (sk-..., sk-proj-..., sk-ant-...), masked ones included.
  [/\bsk-[A-Za-z0-9_*.-]{6,}/g, REDACTED],
  // GitHub tokens (classic and fine-grained), Slack tokens, Hugging Face tokens.
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
  [/\bxox[abeoprs]-[A-Za-z0-9-]{8,}/g, REDACTED],
  // GitLab tokens: personal, project and group (glpat-), deploy, runner, CI job, trigger, feed, OAuth...
  [/\bgl(?:pat|dt|rt|rtr|cbt|ptt|ft|imt|agent|oas|soat|ffct)-[A-Za-z0-9_.-]{20,}/g, REDACTED],
  [/\bhf_[A-Za-z0-9]{20,}/g, REDACTED],
  // The password of a URL's user info (https://user:password@host), up to the last @ before the host:
  // URL parsers (WHATWG's, Node's) take an unescaped @ in the user or password as part of it. From the
  // `://` on: the scheme adds nothing, and a run of `a.a.a…` would start it at every letter.
  [/(:\/\/[^\s:/?#]*:)[^\s/?#]*@/g, `$1${REDACTED}@`],
  // User info that is a token alone (https://TOKEN@host, as clone URLs carry one); a user name stays.
  [/:\/\/([^\s:/?#@]+)@/g, (match, user = '') => (isTokenLike(user) ? `://${REDACTED}@` : match)],
  // Google OAuth access tokens and API keys.
  [/\bya29\.[A-Za-z0-9._-]+/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, REDACTED],
  // Long opaque base64 or hex runs: AWS secret keys and session tokens, signatures.
  // Only from a run's start: tried inside each shorter run (every word of prose), it took twice as long.
  [/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}/g, REDACTED],
];

/**
 * `text` with every registered secret and every credential-like token replaced by `[redacted]`, and
 * without the characters that could hide one from the patterns while a reader sees it whole (`visible`).
 */
export function scrub(text: string): string {
  return scrubVisible(visible(text));
}

/** `scrub` of text without hidden characters, percent-encoded credentials included (`scrubEncoded`). */
function scrubVisible(text: string): string {
  const out = scrubPlain(text);
  return ENCODED.test(out) ? scrubEncoded(out) : out;
}

/** A percent-encoded byte, or a `+`: a space in form encoding (application/x-www-form-urlencoded). */
const ENCODED = /%[0-9A-Fa-f]{2}|\+/;
/** Layers of percent-encoding looked through: a URL in a query of a URL quoted in a query is two. */
const MAX_DECODES = 3;

/**
 * `text` with every percent-encoded byte decoded, the bytes read as UTF-8 (a byte that is none becomes
 * U+FFFD): one pass over its UTF-8 bytes, where `%` and hex digits are always ASCII. No exception for a
 * byte that is no UTF-8 (`decodeURIComponent` throws per run: 100 KB of `%FF ` took most of a second).
 */
function percentDecoded(text: string): string {
  const bytes = utf8Encoder.encode(text);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const high = i + 2 < bytes.length && bytes[i] === PERCENT ? hexValue(bytes[i + 1] ?? 0) : -1;
    const low = high < 0 ? -1 : hexValue(bytes[i + 2] ?? 0);
    if (low < 0) {
      out[n++] = bytes[i] ?? 0;
      continue;
    }
    out[n++] = high * 16 + low;
    i += 2;
  }
  return utf8.decode(out.subarray(0, n));
}

const PERCENT = 0x25;

/** The value of an ASCII hex digit's byte, or -1. */
function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * Scrubbed `text` as shown when decoding it reveals a credential its percent-encoding or form encoding
 * hid from the patterns (a URL quoted in a query, `Authorization%3A%20Bearer%20…`, `Bearer+tok`):
 * decoded as far as that layer, then scrubbed. Otherwise `text` as it is: encoded text with nothing to
 * hide keeps its form.
 */
function scrubEncoded(text: string): string {
  let shown = text;
  let current = text;
  for (let layer = 0; layer < MAX_DECODES && ENCODED.test(current); layer++) {
    const [decoded, clean] = scrubFormLayer(visible(percentDecoded(current.replaceAll('+', FORM_SPACE))));
    if (clean !== decoded) shown = clean;
    current = clean;
  }
  return shown;
}

/** Stands for a `+` of the encoded text (a space) while its decoded layer is first scrubbed; `%2B` is a `+`. */
const FORM_SPACE = '\uE000';

/**
 * A decoded layer and its scrubbed text, scrubbed twice: first with each form space still joining the
 * value it is in (the patterns stop a value at a space, so `password%3Dcorrect+horse` must lose all of
 * `correct horse`), then with the spaces in, so `Bearer+tok` and a configured secret holding spaces are
 * found.
 */
function scrubFormLayer(layer: string): [decoded: string, clean: string] {
  const joined = scrubPlain(layer);
  if (!layer.includes(FORM_SPACE)) return [layer, joined];
  return [layer.replaceAll(FORM_SPACE, ' '), scrubPlain(joined.replaceAll(FORM_SPACE, ' '))];
}

/** `text` with registered secrets and the patterns' matches replaced, as it reads. */
function scrubPlain(text: string): string {
  let out = hasSecrets() ? withoutSecrets(text) : text;
  for (const [pattern, replacement] of PATTERNS) out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  return out;
}

/** Upstream text scanned for credentials: enough for any real error message. */
const SCAN_CHARS = 8192;
/** Upstream text kept after scrubbing, for the log (and for clients of exposing deployments). */
const KEEP_CHARS = 500;

/**
 * C0 and C1 control characters but tab and line feed (DEL included), and the characters Unicode says
 * to render as nothing (Default_Ignorable_Code_Point: zero-width spaces and joiners, word joiner, BOM,
 * soft hyphen, bidi controls, variation selectors, tags).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const HIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\p{Default_Ignorable_Code_Point}]/gu;

/**
 * `text` without hidden characters (`HIDDEN`): terminal escapes, carriage returns that rewrite a log
 * line, NULs, and invisible ones. Dropped, not replaced, so one set inside a credential cannot hide it
 * from `scrub` while a reader, who does not see it, reads the credential whole.
 */
function visible(text: string): string {
  return text.replace(HIDDEN, '');
}

/**
 * An upstream's own words made safe to log and show: hidden characters dropped, scrubbed, then
 * shortened, so a cut can never leave half a secret that no longer matches. Undefined when there is
 * nothing to say.
 */
export function scrubUpstreamText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const trimmed = visible(text).trim();
  if (trimmed === '') return undefined;
  return scrubbedPrefix(trimmed, SCAN_CHARS, KEEP_CHARS);
}

/** Log text (an error's message, a stack's header) scanned for credentials: the scrub costs ~17 ms a MB. */
const LOG_SCAN_CHARS = 64 * 1024;
/** Log text kept after scrubbing: a message past it (a driver quoting a whole query or reply) is cut. */
const LOG_KEEP_CHARS = 16 * 1024;

/**
 * `scrub` for text bound for a log or an error answer, of any length: its first 64 K characters scrubbed
 * and 16 K of them kept, so a message of many megabytes (a library quoting what it could not parse) costs
 * a bounded scrub on the event loop, and the cut, made after scrubbing, cannot leave half a secret.
 */
export function scrubLogText(text: string): string {
  const shown = visible(text.length > 4 * LOG_SCAN_CHARS ? text.slice(0, 4 * LOG_SCAN_CHARS) : text);
  return scrubbedPrefix(shown, LOG_SCAN_CHARS, LOG_KEEP_CHARS);
}

/** The first `scan` characters of visible `text` scrubbed, then cut to `keep` with an ellipsis. */
function scrubbedPrefix(text: string, scan: number, keep: number): string {
  const clean = scrubVisible(text.length > scan ? text.slice(0, scan) : text);
  return clean.length > keep ? `${clean.slice(0, keep)}…` : clean;
}

const PARAM_NAME = /^[A-Za-z0-9_.[\]-]{1,100}$/;

/** A parameter path an upstream's error names in a structured field, when it is only that. */
export function safeParam(value: unknown): string | undefined {
  return typeof value === 'string' && PARAM_NAME.test(value) && scrub(value) === value ? value : undefined;
}
