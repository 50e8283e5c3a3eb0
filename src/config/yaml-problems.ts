import type * as Yaml from 'yaml';
import type { ConfigProblem } from './interpolate.js';

/** The part of yaml these messages use; load.ts requires the package on first use. */
export type YamlModule = Pick<typeof Yaml, 'parseDocument' | 'visit' | 'isScalar' | 'isMap' | 'isSeq' | 'isAlias' | 'isNode'>;

/** yaml's own words name its API (`YAML.parseAllDocuments()`), which a config's author has no use for. */
const MULTIPLE_DOCUMENTS = 'a second YAML document starts here (a --- line after the first): a config is one document; remove the line, or join the two';

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
    message: e.code === 'DUPLICATE_KEY' ? duplicateKey(doc, text, e.pos[0], yaml) : e.code === 'MULTIPLE_DOCS' ? MULTIPLE_DOCUMENTS : (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
  }));
  const more = doc.errors.length - shown.length;
  if (more > 0) shown.push({ path: '(yaml)', message: `${more} more syntax error${more === 1 ? '' : 's'}, most following from those above` });
  return shown;
}

/** The tag is not quoted: `!<...>` may hold anything, a key pasted there included. */
const UNKNOWN_TAG = 'an unknown YAML tag (!name), which would be dropped and the value read as plain text: Switchyard reads none (for an environment variable write ${NAME}, e.g. api_key: ${OPENAI_API_KEY})';

/** Each tag yaml could not resolve (`!ENV X`, `!custom x`), at its line and column: yaml only warns, then reads the value without it. */
export function tagProblems(doc: Yaml.Document): ConfigProblem[] {
  return doc.warnings
    .filter((w) => w.code === 'TAG_RESOLVE_FAILED')
    .map((w) => ({ path: w.linePos ? `line ${w.linePos[0].line}, column ${w.linePos[0].col}` : '(yaml)', message: UNKNOWN_TAG }));
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

/**
 * How many nodes a document's aliases may copy in all, each alias counting every node of what it names
 * (its own aliases expanded): a list of 20,000 aliases of a 20,000-item list is 400 million nodes from a
 * 100 KB file, which yaml's alias count (one per alias) lets through. Far above a config sharing
 * anchors across thousands of deployments.
 */
export const MAX_ALIAS_NODES = 100_000;

/**
 * The first alias at which the document's aliases have copied more than MAX_ALIAS_NODES nodes, or
 * undefined. Each node's expanded size is counted once (memoised), so this takes time in the written
 * size however far the aliases would expand; an alias inside its own anchor counts as one node here (it
 * is reported by path later).
 */
export function aliasAmplification(doc: Yaml.Document, text: string, yaml: YamlModule): ConfigProblem | undefined {
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  const size = (node: unknown): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) return 1;
    open.add(node);
    let n = 1;
    if (yaml.isAlias(node)) n = size(node.resolve(doc));
    else if (yaml.isMap(node)) for (const pair of node.items) n += size(pair.key) + size(pair.value);
    else if (yaml.isSeq(node)) for (const item of node.items) n += size(item);
    open.delete(node);
    sizes.set(node, n);
    return n;
  };
  let copied = 0;
  let at: number | undefined;
  yaml.visit(doc, {
    Alias(_, alias) {
      copied += size(alias.resolve(doc));
      if (copied <= MAX_ALIAS_NODES) return undefined;
      at = alias.range?.[0] ?? 0;
      return yaml.visit.BREAK;
    },
  });
  if (at === undefined) return undefined;
  return { path: lineAndColumn(text, at), message: `the aliases up to here copy more than ${MAX_ALIAS_NODES} values in all (an alias copies everything its anchor holds): write the repeated part out, or share less` };
}

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
  if (/^Unresolved alias/.test(message)) {
    let at: number | undefined;
    yaml.visit(doc, {
      Alias(_, alias) {
        if (alias.resolve(doc) !== undefined) return undefined;
        at = alias.range?.[0];
        return yaml.visit.BREAK;
      },
    });
    return { path: at === undefined ? '(yaml)' : lineAndColumn(text, at), message: UNRESOLVED_ALIAS };
  }
  // yaml's own words up to the first colon: what follows quotes the document (an alias's or tag's name may be a secret pasted there).
  return { path: '(yaml)', message: message.split(/[:\n]/)[0] ?? message };
}

/** The alias's name is not quoted: `*sk-...` is a key written without its quotes as often as a misspelt anchor. */
const UNRESOLVED_ALIAS = 'an alias (*name) names no anchor (&name) set before it: anchor the value first, or quote a value that starts with *';

const isMergeKey = (value: unknown): boolean => value === '<<' || (typeof value === 'symbol' && value.description === '<<');

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

/** A formatted path's keys and indices (`deployments[0].api_key` → deployments, 0, api_key); undefined for a place that is no path (`(file)`, `line 3, column 5`). */
function pathKeys(path: string): Array<string | number> | undefined {
  if (path === '(root)') return [];
  if (path.startsWith('(') || /^line \d+, column \d+$/.test(path)) return undefined;
  return [...path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : (m[2] ?? '')));
}

/** The key an "unknown key" problem names: it sits at the mapping's path, and is best placed at the key itself. */
const UNKNOWN_KEY = /^unknown key "([^"]*)"/;

/**
 * Where in the text a problem's path is written: the offset of its key (or list item), else of the
 * nearest part of its path the file has (a required key missing: its mapping; a key a merge key or an
 * alias brought in: the `<<` mapping or the alias). Undefined for a problem that names no path.
 */
function problemOffset(doc: Yaml.Document, problem: ConfigProblem, yaml: YamlModule): number | undefined {
  const keys = pathKeys(problem.path);
  if (keys === undefined) return undefined;
  const named = UNKNOWN_KEY.exec(problem.message)?.[1];
  if (named !== undefined) keys.push(named);
  let node: unknown = doc.contents;
  let at = yaml.isNode(node) ? node.range?.[0] : undefined;
  for (const key of keys) {
    if (yaml.isMap(node)) {
      const pair = node.items.find((p) => yaml.isScalar(p.key) && String(p.key.value) === String(key));
      if (pair === undefined || !yaml.isScalar(pair.key)) break;
      at = pair.key.range?.[0] ?? at;
      node = pair.value;
    } else if (yaml.isSeq(node) && typeof key === 'number') {
      const item: unknown = node.items[key];
      if (!yaml.isNode(item)) break;
      at = item.range?.[0] ?? at;
      node = item;
    } else break;
  }
  return at;
}

/**
 * Problems in the order their places are written in the file (line, then column: the offset's order),
 * so the list reads top to bottom as the file does; the schema and later checks find them section by
 * section. A problem that names no place in the file keeps its order, after the others.
 */
export function inFileOrder(problems: readonly ConfigProblem[], doc: Yaml.Document, yaml: YamlModule): ConfigProblem[] {
  const placed = problems.map((problem, i) => ({ problem, i, at: problemOffset(doc, problem, yaml) ?? Number.POSITIVE_INFINITY }));
  return placed.sort((a, b) => a.at - b.at || a.i - b.i).map((p) => p.problem);
}
