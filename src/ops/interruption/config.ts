import * as z from '../../config/zod.js';
import { timerMs } from '../../config/timer.js';
import { httpUrl } from '../../config/url.js';

/** Watching the machine the gateway runs on for spot / preemption notices (`interruption:`). */
export const interruptionSchema = z
  .strictObject({
    /** `auto` asks each cloud's metadata service once at start-up and watches the one that answers. */
    provider: z.enum(['none', 'aws', 'gcp', 'azure', 'auto']).default('none'),
    /** The metadata service's base URL; each cloud's own when absent (a simulator's in tests). */
    metadata_url: httpUrl({ invalid: 'expected an http(s) URL', fix: 'a metadata service takes none', query: 'none' }).optional(),
    /** How often to ask; AWS recommends every 5 seconds for its two-minute notice. */
    poll_ms: timerMs().min(100).default(5_000),
  })
  .default({ provider: 'none', poll_ms: 5_000 });

export type InterruptionConfig = z.infer<typeof interruptionSchema>;
