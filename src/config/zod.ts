// The part of zod Switchyard's schemas use, imported as `import * as z from '<path>/config/zod.js'`.
// zod's own `z` namespace holds all of zod, and a namespace the bundler cannot see through keeps every
// member: ~400 KB of the package bundle. Named imports let esbuild drop half of it, and importing zod
// measured ~25 ms instead of ~55 (a cold start: ~160 ms -> ~130). A member the schemas start to use is
// added here; eslint refuses `zod` imported anywhere else in src/.
export {
  array,
  boolean,
  custom,
  discriminatedUnion,
  enum,
  iso,
  literal,
  looseObject,
  NEVER,
  number,
  record,
  strictObject,
  string,
  union,
  unknown,
  url,
  ZodArray,
  ZodDefault,
  ZodObject,
  ZodOptional,
  ZodPrefault,
  ZodType,
} from 'zod';
export type { core, infer, input, RefinementCtx, ZodNumber, ZodURL } from 'zod';
