import type * as z from './zod.js';
import { editDistance } from '../core/edit-distance.js';

/**
 * Words for zod's issues, passed to `safeParse` as the error map. Messages a schema sets itself win over
 * these; a field's `.describe()` text (what it is, with an example) completes "required:" messages.
 */
export function configIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const description = describedBy(issue);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `required: ${description ?? article(issue.expected)}`;
      return `expected ${expectedNoun(issue.expected, issue.input)}, got ${shown(issue.input)}${description ? ` (${description})` : ''}`;
    case 'invalid_value':
      if (issue.values.length === 1) return `expected ${quoted(issue.values[0])}, got ${shown(issue.input)}`;
      return `expected one of ${issue.values.map(quoted).join(', ')}; got ${shown(issue.input)}`;
    case 'unrecognized_keys':
      return issue.keys.map((k) => unknownKey(k, knownKeys(issue.inst))).join('; ');
    case 'too_small':
      return tooSmall(issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'too_big':
      return tooBig(issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'invalid_format':
      return issue.format === 'regex' ? `expected text matching ${String(issue.pattern)}` : `expected ${article(issue.format)}, got ${shown(issue.input)}`;
    case 'invalid_union':
      return `expected ${unionAlternatives(issue.errors) ?? 'another shape'}, got ${shown(issue.input)}`;
    default:
      return undefined;
  }
}

function describedBy(issue: z.core.$ZodRawIssue): string | undefined {
  const inst = issue.inst as { description?: unknown } | undefined;
  return typeof inst?.description === 'string' ? inst.description : undefined;
}

const article = (noun: string): string => {
  if (noun === 'url') return 'a URL';
  if (noun === 'array') return 'a list';
  if (noun === 'object') return 'a mapping (key: value)';
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
};

/**
 * What a field takes, as an operator says it: zod's "int" is a whole number; a number field refuses
 * infinity and NaN (YAML's `1e400`, `.inf`, `.nan`) as its own type, which "expected a number" would
 * contradict.
 */
function expectedNoun(expected: string, input: unknown): string {
  if (expected === 'int') return 'a whole number';
  if (expected === 'number' && typeof input === 'number') return Number.isNaN(input) ? 'a number' : 'a finite number';
  return article(expected);
}

const quoted = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : String(v));

/** The offending value for a message: short, and never a secret (config secrets are strings in `${}` or files). */
function shown(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null (an empty value)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return input.length > 40 ? `the text "${input.slice(0, 37)}..."` : `the text "${input}"`;
  if (typeof input === 'number') return shownNumber(input);
  return `${typeof input} ${String(input)}`;
}

/** A number as written, or in words for what YAML reads as infinity (`1e400`, `.inf`) or not a number (`.nan`). */
function shownNumber(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return 'a number too large to hold (such as 1e400 or .inf, read as infinity)';
  if (n === Number.NEGATIVE_INFINITY) return 'a number too far below zero to hold (such as -1e400 or -.inf, read as minus infinity)';
  if (Number.isNaN(n)) return '.nan (not a number)';
  return String(n);
}

function tooSmall(origin: string, min: number, inclusive: boolean): string {
  if (origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${min} characters`;
  if (origin === 'array') return `needs at least ${min} ${min === 1 ? 'entry' : 'entries'}`;
  if (origin === 'int' && min === Number.MIN_SAFE_INTEGER) return `must be at least ${min} (a whole number is held exactly down to there)`;
  return inclusive ? `must be at least ${min}` : `must be greater than ${min}`;
}

function tooBig(origin: string, max: number, inclusive: boolean): string {
  if (origin === 'string') return `must be at most ${max} characters`;
  if (origin === 'array') return `takes at most ${max} ${max === 1 ? 'entry' : 'entries'}`;
  if (origin === 'int' && max === Number.MAX_SAFE_INTEGER) return `must be at most ${max} (a whole number is held exactly up to there)`;
  return inclusive ? `must be at most ${max}` : `must be less than ${max}`;
}

function unionAlternatives(errors: ReadonlyArray<ReadonlyArray<z.core.$ZodIssue>>): string | undefined {
  const expected = errors.map((branch) => (branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0 ? branch[0].expected : undefined));
  if (expected.some((e) => e === undefined)) return undefined;
  return [...new Set(expected as string[])].map(article).join(' or ');
}

/** The keys an object schema knows (through a pipe's input: a schema that transforms what it checks); none when it is no object. */
export function knownKeys(inst: unknown): string[] {
  const def = (inst as { _zod?: { def?: { type?: string; shape?: Record<string, unknown>; in?: unknown } } } | undefined)?._zod?.def;
  if (def?.type === 'pipe') return knownKeys(def.in);
  return def?.shape ? Object.keys(def.shape) : [];
}

/** "unknown key", with the known keys that are one or two edits away (or all of them). */
export function unknownKey(key: string, known: readonly string[]): string {
  const near = known.filter((k) => editDistance(k, key) <= Math.max(1, Math.floor(k.length / 4)));
  if (near.length > 0) return `unknown key "${key}"; did you mean ${near.map((k) => `"${k}"`).join(' or ')}?`;
  return known.length > 0 ? `unknown key "${key}"; expected one of ${known.join(', ')}` : `unknown key "${key}"`;
}
