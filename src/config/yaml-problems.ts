import type * as Yaml from 'yaml';
import type { ConfigProblem } from './interpolate.js';

/** The part of yaml these messages use; load.ts requires the package on first use. */
export type YamlModule = Pick<typeof Yaml, 'parseDocument' | 'visit' | 'isScalar' | 'isMap' | 'isSeq' | 'isAlias'>;

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

/**
 * How many copies a document's aliases may make in all (yaml counts an alias of an anchor holding
 * aliases as that many): far above a config sharing one anchor across hundreds of deployments (yaml's
 * default, 100, refused a 101st `<<: *defaults`), far below an alias bomb's billions.
 */
export const MAX_ALIAS_COPIES = 100_000;

const MERGE_SOURCE = 'a merge key (<<) takes a mapping, an alias of one, or a list of them';

/** What building a syntactically valid document's tree threw (a merge of a non-mapping, an alias bomb), at its position. */
export function treeProblem(doc: Yaml.Document, text: string, err: unknown, yaml: YamlModule): ConfigProblem {
  const message = err instanceof Error ? err.message : String(err);
  if (/resource exhaustion/.test(message)) {
    return { path: '(yaml)', message: `its aliases expand to more than ${MAX_ALIAS_COPIES} copies (aliases of anchors that hold aliases multiply): write the repeated part out` };
  }
  if (/^Merge sources/.test(message)) {
    let at: number | undefined;
    const mapping = (node: unknown): boolean => {
      const source = yaml.isAlias(node) ? node.resolve(doc) : node;
      return yaml.isMap(source);
    };
    yaml.visit(doc, {
      Pair(_, pair) {
        // With merge keys on, yaml reads `<<` as a symbol of that name.
        if (!yaml.isScalar(pair.key) || !isMergeKey(pair.key.value)) return undefined;
        const value = yaml.isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
        if (mapping(value) || (yaml.isSeq(value) && value.items.every(mapping))) return undefined;
        at = pair.key.range?.[0];
        return yaml.visit.BREAK;
      },
    });
    return { path: at === undefined ? '(yaml)' : lineAndColumn(text, at), message: MERGE_SOURCE };
  }
  return { path: '(yaml)', message: message.split('\n')[0] ?? message };
}

const isMergeKey = (value: unknown): boolean => value === '<<' || (typeof value === 'symbol' && value.description === '<<');

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}
