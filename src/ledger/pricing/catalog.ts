import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from '../../config/zod.js';
import { priceEntrySchema } from '../config.js';

/** The catalog file format (pricing/catalog.json). */
export const catalogSchema = z.looseObject({
  version: z.literal(1),
  providers: z.record(
    z.string(),
    z.looseObject({
      /** Provider types priced by this entry besides its own name. */
      aliases: z.array(z.string()).default([]),
      source: z.string().optional(),
      date: z.string().optional(),
      models: z.array(priceEntrySchema),
    }),
  ),
});

export type Catalog = z.infer<typeof catalogSchema>;

/** Finds the package's `pricing/catalog.json` whether running from src/ (tsx, vitest) or dist/. */
export function shippedCatalogPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i += 1) {
    const candidate = join(dir, 'pricing', 'catalog.json');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('pricing/catalog.json not found next to the switchyard package');
}

/** Reads and validates a catalog file; problems name the file and the path inside it. */
export function loadCatalog(path: string): Catalog {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read pricing catalog (${(err as Error).message})`);
  }
  const parsed = catalogSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`${path}: invalid pricing catalog\n  ${first.join('\n  ')}`);
  }
  return parsed.data;
}
