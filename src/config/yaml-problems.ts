import type * as Yaml from 'yaml';
import type { ConfigProblem } from './interpolate.js';

/** The part of yaml these messages use; load.ts requires the package on first use. */
export type YamlModule = Pick<typeof Yaml, 'parseDocument' | 'visit' | 'isScalar' | 'isMap'>;

/** YAML syntax errors reported at most; the rest are counted. */
const MAX_YAML_ERRORS = 5;

/** A key name in a message: short (a key may be a long scalar) and quoted. */
const quoted = (name: string): string => `"${name.length > 40 ? `${name.slice(0, 37)}...` : name}"`;

/**
 * A document's syntax errors, each at its line and column once. yaml's own text repeats the position
 * ("... at line 5, column 5:") and, for a key written twice, does not say which key.
 */
export function yamlProblems(doc: Yaml.Document, text: string, yaml: YamlModule): ConfigProblem[] {
  // Later syntax errors mostly follow from the first (a file that is not YAML gives one per token).
  const shown = doc.errors.slice(0, MAX_YAML_ERRORS).map((e) => ({
    path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)',
    message: e.code === 'DUPLICATE_KEY' ? duplicateKey(doc, text, e.pos[0], yaml) : (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
  }));
  const more = doc.errors.length - shown.length;
  if (more > 0) shown.push({ path: '(yaml)', message: `${more} more syntax error${more === 1 ? '' : 's'}, most following from those above` });
  return shown;
}

/** "duplicate key "id" (first at line 4)", from the key that starts at `offset` and its mapping's first one of that name. */
function duplicateKey(doc: Yaml.Document, text: string, offset: number, yaml: YamlModule): string {
  let message = 'duplicate key: each key is written once per mapping';
  yaml.visit(doc, {
    Pair(_, pair, path) {
      if (!yaml.isScalar(pair.key) || pair.key.range?.[0] !== offset) return undefined;
      const name = String(pair.key.value);
      const parent = path[path.length - 1];
      const first = (yaml.isMap(parent) ? parent.items : []).find((p) => yaml.isScalar(p.key) && String(p.key.value) === name)?.key;
      const at = yaml.isScalar(first) ? first.range?.[0] : undefined;
      message = at !== undefined && at !== offset ? `duplicate key ${quoted(name)} (first at line ${text.slice(0, at).split('\n').length})` : `duplicate key ${quoted(name)}`;
      return yaml.visit.BREAK;
    },
  });
  return message;
}
