/** A problem found while reading the config, named by its path (`deployments[2].api_key`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Formats a key path the way users read it: `a.b[2].c`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree. A missing variable
 * without a default is a problem at that path; the variable's value is never echoed.
 */
export function interpolateEnv(
  node: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof node === 'string') {
    if (!node.includes('${')) return node;
    return node.replace(ENV_REF, (_match, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(node)) return node.map((item, i) => interpolateEnv(item, env, problems, [...path, i]));
  // Plain mappings only: an instance (a `Secret` a parse already resolved, in a config given again) is kept whole.
  if (node !== null && typeof node === 'object' && isPlain(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) out[key] = interpolateEnv(value, env, problems, [...path, key]);
    return out;
  }
  return node;
}

function isPlain(node: object): boolean {
  const proto: unknown = Object.getPrototypeOf(node);
  return proto === Object.prototype || proto === null;
}
