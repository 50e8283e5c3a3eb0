import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { registerSecret } from '../core/scrub.js';
import { fileProblem } from './file-problem.js';

/**
 * A secret value that never prints: logs, JSON and inspect all show `[redacted]`. Every one is known
 * to the scrubber, so an upstream that echoes it back cannot pass it on.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    registerSecret(value);
  }

  /** The secret itself, for the one place that sends it upstream. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** A header name that says its value is a credential (`authorization`, `x-api-key`, `x-proxy-token`, `cf-access-client-secret`...). */
const CREDENTIAL_HEADER = /auth|key|token|secret|password|credential|signature|session|cookie/i;
/** An authorization value's scheme, before the credential an upstream would quote on its own. */
const AUTH_SCHEME = /^\s*(?:Bearer|Basic|Token|Api-?Key|Key)\s+(\S+)\s*$/i;

/**
 * Lets the scrubber know a credential a deployment sends in its own `headers` (a plain string field, not a
 * `Secret`): the whole value, and the token after an auth scheme, which is what an upstream quotes.
 */
export function registerCredentialHeader(name: string, value: string): void {
  if (!CREDENTIAL_HEADER.test(name)) return;
  registerSecret(value);
  const token = AUTH_SCHEME.exec(value)?.[1];
  if (token !== undefined) registerSecret(token);
}

/** Where the parse running now notes the text of each secret it resolves (see `noteSecretTexts`). */
let noting: Set<string> | undefined;

/**
 * Runs `parse`, adding to `texts` the text of every secret reference it resolves that is the secret
 * itself (not a `file:` path): a variable written into one (`Bearer ${OTLP_TOKEN}`) is then known to be
 * part of a secret, and config errors quote its reference instead of its value.
 */
export function noteSecretTexts<T>(texts: Set<string>, parse: () => T): T {
  const outer = noting;
  noting = texts;
  try {
    return parse();
  } finally {
    noting = outer;
  }
}

/**
 * Resolves a secret reference: `file:/path` reads the file (trailing newline trimmed; an empty one is
 * refused); anything else is the value itself (env references were already interpolated). Throws a
 * message without the value.
 */
export function resolveSecretRef(ref: string): Secret {
  if (ref.startsWith('file:')) {
    const path = ref.slice('file:'.length);
    let value: string;
    try {
      value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      // In words, as for the config file itself; an errno code alone says nothing to most readers.
      throw new Error(`cannot read secret file ${path}: ${fileProblem(err)}`);
    }
    // As an empty `${VAR}` is: a key that would send no key (a file created but never filled).
    if (value === '') throw new Error(`secret file ${path} is empty (a trailing newline aside)`);
    return new Secret(value);
  }
  noting?.add(ref);
  return new Secret(ref);
}
