import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { registerSecret } from '../core/scrub.js';

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

/**
 * Resolves a secret reference: `file:/path` reads the file (trailing newline trimmed); anything else
 * is the value itself (env references were already interpolated). Throws a message without the value.
 */
export function resolveSecretRef(ref: string): Secret {
  if (ref.startsWith('file:')) {
    const path = ref.slice('file:'.length);
    try {
      return new Secret(readFileSync(path, 'utf8').replace(/\r?\n$/, ''));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new Error(`cannot read secret file ${path} (${code})`);
    }
  }
  return new Secret(ref);
}
