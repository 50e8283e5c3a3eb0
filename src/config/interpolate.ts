import { isRegisteredSecret } from '../core/scrub.js';

/**
 * What a config's variables filled in: each value with the reference that asked for it (`${OPENAI_API_KEY}`),
 * and the whole texts it went into (`Bearer <value>`, `postgres://u:<value>@db/x`), so a variable that
 * is only part of a secret is known as one.
 */
export class Filled {
  readonly refs = new Map<string, string>();
  readonly into = new Map<string, Set<string>>();

  add(value: string, ref: string, text: string): void {
    this.refs.set(value, ref);
    const texts = this.into.get(value) ?? new Set<string>();
    texts.add(text);
    this.into.set(value, texts);
  }
}

/** A problem found while reading the config, named by its path (`deployments[2].api_key`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
/** `$${` writes a literal `${` (a prompt or header that needs one), as Docker Compose spells it. */
const ESCAPED = /\$\$\{/g;
/** A reference or an escaped `${`, in one pass so an escape's `{` never starts a reference. */
const REF_OR_ESCAPE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Formats a key path the way users read it: `a.b[2].c`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

const CYCLE = 'holds itself (a YAML alias inside its own anchor, or a cyclic object): a config is a tree';

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree. A missing variable
 * without a default is a problem at that path; the variable's value is never echoed. A node inside
 * itself (`&a { b: *a }`, which YAML allows) is a problem at the inner path and left out, so no later
 * stage recurses forever. `filled`, when given, receives each variable value put in, with the
 * reference that asked for it (`${OPENAI_API_KEY}`) and the text it went into, so messages can quote a
 * secret's reference instead.
 */
export function interpolateEnv(
  node: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
  filled?: Filled,
): unknown {
  return interpolate(node, env, problems, filled, [], new Set());
}

function interpolate(
  node: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
  filled: Filled | undefined,
  path: PropertyKey[],
  within: Set<object>,
): unknown {
  if (typeof node === 'string') {
    if (!node.includes('${')) return node;
    const broken = brokenReference(node);
    if (broken !== undefined) {
      problems.push({ path: formatPath(path), message: broken });
      return node;
    }
    const used: Array<[value: string, ref: string]> = [];
    const text = node.replace(REF_OR_ESCAPE, (match, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return match.slice(1);
      const value = env[name];
      if (value !== undefined && value !== '') {
        used.push([value, `\${${name}}`]);
        return value;
      }
      if (fallback !== undefined) return fallback;
      // An empty Kubernetes Secret or a `VAR=` line sets it empty: "not set" would send the reader the wrong way.
      problems.push({ path: formatPath(path), message: value === '' ? `environment variable ${name} is set but empty` : `environment variable ${name} is not set` });
      return '';
    });
    for (const [value, ref] of used) filled?.add(value, ref, text);
    return text;
  }
  // Plain mappings only: an instance (a `Secret` a parse already resolved, in a config given again) is kept whole.
  if (node === null || typeof node !== 'object' || !(Array.isArray(node) || isPlain(node))) return node;
  if (within.has(node)) {
    problems.push({ path: formatPath(path), message: CYCLE });
    return undefined;
  }
  within.add(node);
  let out: unknown;
  if (Array.isArray(node)) out = node.map((item, i) => interpolate(item, env, problems, filled, [...path, i], within));
  else {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const v = interpolate(value, env, problems, filled, [...path, key], within);
      // Defined, not assigned: `copy.__proto__ = v` would make a `__proto__:` key of the YAML the copy's
      // prototype, its fields then read as the mapping's own while no unknown key is reported.
      if (key === '__proto__') Object.defineProperty(copy, key, { value: v, enumerable: true, writable: true, configurable: true });
      else copy[key] = v;
    }
    out = copy;
  }
  within.delete(node);
  return out;
}

/**
 * Why a text's `${` starts no reference it can be filled by, or undefined. Taken as written, `${KEY` (an
 * unclosed brace) or `${A:-${B}}` (defaults do not nest: it leaves `${B}` as text) would be the secret
 * itself: a client key anyone could guess, or an upstream key that is never the real one. The text is
 * not quoted: it may be a secret written out.
 */
function brokenReference(escaped: string): string | undefined {
  const text = escaped.replace(ESCAPED, '');
  if ([...text.matchAll(ENV_REF)].some((m) => m[2]?.includes('${'))) return 'a ${NAME:-default} default holds another ${...}: defaults do not nest (write the default itself, or set the variable)';
  if (text.replace(ENV_REF, '').includes('${')) return 'a "${" starts no ${NAME} or ${NAME:-default} reference (an unclosed brace, or a NAME other than letters, digits and _ not starting with a digit; write $${ for a literal ${)';
  return undefined;
}

function isPlain(node: object): boolean {
  const proto: unknown = Object.getPrototypeOf(node);
  return proto === Object.prototype || proto === null;
}

/**
 * Problems with every secret a variable filled in written as its reference (`${OPENAI_API_KEY}`). A
 * message quoting a value (`unknown deployment "..."`, an enum's `got "..."`) must not print a secret
 * that a variable also put into a field which is not secret, such as a key's variable pasted onto the
 * wrong line. A variable is secret when the text it went into is one: a secret field's value
 * (`secretTexts`, what the parse resolved as secrets) or any value `core/scrub.ts` knows (a credential
 * header's), so `Bearer ${OTLP_TOKEN}` or `postgres://u:${PGPASS}@db` makes its variable secret too.
 * Other values (`${LEDGER_STORE}` = postgres) stay as read. Longer values first, so one containing
 * another is replaced whole; values shorter than 8 characters only where they stand as a word, so a
 * short one does not rewrite every word that holds its letters.
 */
export function withholdSecrets(problems: ConfigProblem[], filled: Filled, secretTexts: ReadonlySet<string>): ConfigProblem[] {
  return withheld(problems, withholder(filled, secretTexts));
}

function withheld(problems: ConfigProblem[], withhold: Withhold | undefined): ConfigProblem[] {
  return withhold === undefined ? problems : problems.map((p) => ({ path: withhold(p.path), message: withhold(p.message) }));
}

type Withhold = (text: string) => string;

/** Below this length a withheld value is replaced only as a whole word (as core/scrub.ts registers none shorter). */
const WORD_ONLY_BELOW = 8;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function withholder(filled: Filled, secretTexts: ReadonlySet<string>): Withhold | undefined {
  const isSecret = (value: string): boolean =>
    isRegisteredSecret(value) || [...(filled.into.get(value) ?? [])].some((text) => secretTexts.has(text) || isRegisteredSecret(text));
  const secrets = [...filled.refs.keys()].filter(isSecret).sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return undefined;
  const replacements = secrets.map((v): [RegExp, string] => {
    const pattern = v.length < WORD_ONLY_BELOW ? `(?<![A-Za-z0-9_])${escapeRegExp(v)}(?![A-Za-z0-9_])` : escapeRegExp(v);
    return [new RegExp(pattern, 'g'), filled.refs.get(v) ?? ''];
  });
  return (text) => replacements.reduce((out, [pattern, ref]) => out.replace(pattern, () => ref), text);
}

/** What each parsed config's variables filled in, for problems found after the parse; only configs with such a secret. */
const FILLED = new WeakMap<object, Withhold>();

/**
 * Keeps, for a config that parsed, which secrets its variables filled in, so problems found later (the
 * reach check, a `ConfigError` while an app is built from it) are withheld as the parse's own are.
 */
export function rememberFilled(config: object, filled: Filled, secretTexts: ReadonlySet<string>): void {
  const withhold = withholder(filled, secretTexts);
  if (withhold !== undefined) FILLED.set(config, withhold);
}

/** `withholdSecrets` for problems found on a config after its parse (the config parseConfig returned). */
export function withholdConfigSecrets(config: object, problems: ConfigProblem[]): ConfigProblem[] {
  return withheld(problems, FILLED.get(config));
}

/** Any text about a parsed config (a message, a line of `check-config --explain`) with its filled-in secrets withheld. */
export function withholdConfigText(config: object, text: string): string {
  const withhold = FILLED.get(config);
  return withhold === undefined ? text : withhold(text);
}
