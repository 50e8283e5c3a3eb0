import type { GatewayConfig } from '../config/schema.js';
import { Secret } from '../config/secret.js';
import { isRegisteredSecret } from '../core/scrub.js';

/** The most entries (added, removed and changed paths together) a reload's summary lists; the rest are counted in `more`. */
export const CHANGES_SHOWN = 50;

/** A setting that differs between two configs: its path, and its values only where the setting is on the allow-list. */
export interface ChangedSetting {
  path: string;
  from?: ShownValue;
  to?: ShownValue;
}

type ShownValue = string | number | boolean | null;

/**
 * What a reload changed, for its audit entry and log line: paths (`deployments.primary-oa.endpoint`),
 * never values but for the few settings that never hold a secret (`SHOWN_VALUE`).
 */
export interface ConfigChanges {
  /** `nothing changed`, or the sections that did and how many entries. */
  summary: string;
  /** The top-level sections whose settings differ, in the config's order. */
  sections: string[];
  /** Members of an id-keyed list (deployments, groups, api keys, a group's members) by path: `deployments.primary-oa`. */
  added: string[];
  removed: string[];
  changed: ChangedSetting[];
  /** Entries past `CHANGES_SHOWN`, left out of the three lists. */
  more: number;
}

/**
 * The settings whose values a summary may show: routing choices and timeouts, never a credential
 * whatever the environment filled in. Matched on the path's last key.
 */
const SHOWN_VALUE = /^(strategy|weight|region|model|base_model|provider|priority|[a-z_]*timeout_ms)$/;
/** Maps whose keys the user names (headers, tags, metadata, provider options): a key there says nothing of what its value is. */
const FREE_FORM: ReadonlySet<string> = new Set(['headers', 'extra_headers', 'tags', 'metadata', 'labels', 'options', 'extra_body']);
/** A shown string longer than this is likely no routing setting: its path alone is reported. */
const MAX_SHOWN_LENGTH = 120;
/** A path segment longer than this (a free-form map key) is cut, so one entry stays one line. */
const MAX_SEGMENT_LENGTH = 80;
/** Derived from a deployment's own keys (its provider's parsed options): a change there is already reported under the key. */
const DERIVED: ReadonlySet<string> = new Set(['options']);

type Entry = { kind: 'added' | 'removed'; path: string } | ({ kind: 'changed' } & ChangedSetting);

/** What differs from `before` to `after`, paths only but for `SHOWN_VALUE` settings; bounded by `CHANGES_SHOWN`. */
export function configChanges(before: GatewayConfig, after: GatewayConfig): ConfigChanges {
  const entries: Entry[] = [];
  const sections: string[] = [];
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  for (const section of unionKeys(a, b)) {
    const count = entries.length;
    compare(a[section], b[section], [section], entries);
    if (entries.length > count) sections.push(section);
  }
  const shown = [...entries.filter((e) => e.kind === 'added'), ...entries.filter((e) => e.kind === 'removed'), ...entries.filter((e) => e.kind === 'changed')].slice(0, CHANGES_SHOWN);
  return {
    summary: entries.length === 0 ? 'nothing changed' : `${plural(entries.length, 'change')} in ${sections.join(', ')}`,
    sections,
    added: shown.filter((e) => e.kind === 'added').map((e) => e.path),
    removed: shown.filter((e) => e.kind === 'removed').map((e) => e.path),
    changed: shown.flatMap((e) => (e.kind === 'changed' ? [{ path: e.path, ...(e.from !== undefined && { from: e.from, to: e.to }) }] : [])),
    more: entries.length - shown.length,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function compare(a: unknown, b: unknown, path: readonly string[], out: Entry[]): void {
  if (a instanceof Secret || b instanceof Secret) {
    // Compared in memory only: the summary names the path, never either value.
    if (!(a instanceof Secret && b instanceof Secret && a.reveal() === b.reveal())) out.push({ kind: 'changed', path: joined(path) });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) return compareLists(a, b, path, out);
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of unionKeys(a, b)) if (!DERIVED.has(key)) compare(a[key], b[key], [...path, key], out);
    return;
  }
  if (sameValue(a, b)) return;
  out.push({ kind: 'changed', path: joined(path), ...shownValues(path, a, b) });
}

/** A list of members with ids (deployments, groups, api keys) compared member by member; any other as one value. */
function compareLists(a: readonly unknown[], b: readonly unknown[], path: readonly string[], out: Entry[]): void {
  const before = byId(a);
  const after = byId(b);
  if (before === undefined || after === undefined) {
    if (!sameValue(a, b)) out.push({ kind: 'changed', path: joined(path) });
    return;
  }
  for (const [id, member] of before) {
    if (!after.has(id)) out.push({ kind: 'removed', path: joined([...path, id]) });
    else compare(member, after.get(id), [...path, id], out);
  }
  for (const id of after.keys()) if (!before.has(id)) out.push({ kind: 'added', path: joined([...path, id]) });
}

/** A list's members by their `id` (or a group's `name`), when every member has a distinct one. */
function byId(list: readonly unknown[]): Map<string, unknown> | undefined {
  const members = new Map<string, unknown>();
  for (const member of list) {
    if (!isPlainObject(member)) return undefined;
    const id = typeof member.id === 'string' ? member.id : typeof member.name === 'string' ? member.name : undefined;
    if (id === undefined || members.has(id)) return undefined;
    members.set(id, member);
  }
  return members;
}

/** The two values of an allow-listed setting, when both are short scalars that no configured secret is. */
function shownValues(path: readonly string[], a: unknown, b: unknown): { from?: ShownValue; to?: ShownValue } {
  const key = path[path.length - 1] ?? '';
  // A free-form map's keys are the user's own (a header named `model`): never values from under one.
  if (!SHOWN_VALUE.test(key) || path.some((segment) => FREE_FORM.has(segment))) return {};
  const from = showable(a);
  const to = showable(b);
  return from === undefined || to === undefined ? {} : { from, to };
}

function showable(v: unknown): ShownValue | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'string' && v.length <= MAX_SHOWN_LENGTH && !isRegisteredSecret(v)) return v;
  return undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = unionKeys(a, b);
    return keys.every((k) => sameValue(a[k], b[k]));
  }
  if (a instanceof Secret || b instanceof Secret) return a instanceof Secret && b instanceof Secret && a.reveal() === b.reveal();
  // Anything else a schema built (a RegExp, a URL): by its JSON form.
  return JSON.stringify(a) === JSON.stringify(b);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Both objects' keys, `a`'s order first; keys whose values are both undefined are no setting. */
function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !Object.hasOwn(a, k))];
  return keys.filter((k) => a[k] !== undefined || b[k] !== undefined);
}

function joined(path: readonly string[]): string {
  return path.map((s) => (s.length > MAX_SEGMENT_LENGTH ? `${s.slice(0, MAX_SEGMENT_LENGTH)}…` : s)).join('.');
}
