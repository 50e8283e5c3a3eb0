import * as z from './zod.js';
import { configShapeSchema } from './schema.js';
import type { ConfigProblem } from './interpolate.js';

/**
 * The parts of an invalid config that are valid on their own, so the checks that need parsed sections
 * (references between groups and deployments, provider options) still run and every problem shows in one
 * pass. A list entry that is invalid keeps its place only when dropping its bad fields (which then take
 * their defaults) makes it valid; otherwise it is dropped, and its name is remembered so that "unknown
 * deployment" messages about it are not reported on top of its own problems.
 */
export interface Salvaged {
  input: Record<string, unknown>;
  /** Ids and names of dropped list entries. */
  droppedNames: Set<string>;
  /** Raw deployments that were dropped, by their original index (their provider options are still checked). */
  droppedDeployments: Array<{ index: number; raw: Record<string, unknown> }>;
  /** Lists whose every entry was dropped (their "at least one" problems are not the user's). */
  emptied: Set<string>;
  /** Maps list indices in a salvaged problem's path or message back to the user's file (they shift when entries drop). */
  remap(text: string): string;
}

const LISTS = ['deployments', 'groups', 'api_keys'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The input without the fields the schema rejects; undefined when it still does not parse. */
function repair(schema: z.ZodType, value: unknown): unknown {
  const first = schema.safeParse(value);
  if (first.success) return value;
  if (!isRecord(value)) return undefined;
  const copy = { ...value };
  for (const issue of first.error.issues) {
    if (issue.path.length > 0) delete copy[String(issue.path[0])];
    else if (issue.code === 'unrecognized_keys') for (const k of issue.keys) delete copy[k];
  }
  return schema.safeParse(copy).success ? copy : undefined;
}

function elementOf(schema: z.ZodType): z.ZodType | undefined {
  let s: unknown = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault) s = s.unwrap();
  return s instanceof z.ZodArray ? (s.element as z.ZodType) : undefined;
}

/** Keeps what parses of an (env-interpolated) config tree that failed the schema. */
export function salvageConfig(raw: unknown): Salvaged {
  const source = isRecord(raw) ? raw : {};
  const shape = configShapeSchema.shape as Record<string, z.ZodType>;
  const input: Record<string, unknown> = {};
  const droppedNames = new Set<string>();
  const droppedDeployments: Salvaged['droppedDeployments'] = [];
  const indexMaps = new Map<string, number[]>();
  const emptied = new Set<string>();
  for (const [key, schema] of Object.entries(shape)) {
    const value = source[key];
    if (value === undefined) continue;
    const element = (LISTS as readonly string[]).includes(key) ? elementOf(schema) : undefined;
    if (element && Array.isArray(value)) {
      const kept: unknown[] = [];
      const map: number[] = [];
      value.forEach((entry, i) => {
        const fixed = repair(element, entry);
        if (fixed !== undefined) {
          kept.push(fixed);
          map.push(i);
          return;
        }
        const name = isRecord(entry) ? (entry.id ?? entry.name) : undefined;
        if (typeof name === 'string') droppedNames.add(name);
        if (key === 'deployments' && isRecord(entry)) droppedDeployments.push({ index: i, raw: entry });
      });
      input[key] = kept;
      indexMaps.set(key, map);
      if (kept.length === 0 && value.length > 0) emptied.add(key);
      continue;
    }
    const fixed = repair(schema, value);
    if (fixed !== undefined) input[key] = fixed;
  }
  const remap = (text: string): string =>
    text.replace(/(?<![.\w])(deployments|groups|api_keys)\[(\d+)\]/g, (whole, list: string, i: string) => {
      const original = indexMaps.get(list)?.[Number(i)];
      return original === undefined ? whole : `${list}[${original}]`;
    });
  return { input, droppedNames, droppedDeployments, emptied, remap };
}

/** True when a problem found on the salvaged config is only a consequence of a dropped entry. */
export function aboutDropped(problem: ConfigProblem, salvaged: Salvaged): boolean {
  if (salvaged.emptied.has(problem.path)) return true;
  for (const name of salvaged.droppedNames) if (problem.message.includes(`"${name}"`)) return true;
  return false;
}
