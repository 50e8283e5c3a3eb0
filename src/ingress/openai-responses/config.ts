import * as z from '../../config/zod.js';

const STORE_DEFAULTS = { enabled: false, retention_hours: 24, max_memory_responses: 10_000, max_memory_bytes: 256 * 1024 * 1024 };

/**
 * The OpenAI Responses front door (`responses:` in the config). Stored conversations hold prompts and
 * answers, so storage is off unless enabled; they live in the ledger database when there is one (SQLite
 * or PostgreSQL), in memory otherwise, and are deleted after `retention_hours`.
 */
export const responsesSchema = z
  .strictObject({
    store: z
      .strictObject({
        enabled: z.boolean().default(STORE_DEFAULTS.enabled),
        retention_hours: z.number().positive().max(24 * 365).default(STORE_DEFAULTS.retention_hours),
        /** Without a ledger database: the most conversations kept in memory (the oldest go first). */
        max_memory_responses: z.number().int().positive().default(STORE_DEFAULTS.max_memory_responses),
        /**
         * Without a ledger database: about how many bytes those conversations may hold (the oldest go
         * first): input images are kept as base64, twice, so a few large requests would otherwise hold
         * hundreds of MB under the count alone.
         */
        max_memory_bytes: z.number().int().positive().default(STORE_DEFAULTS.max_memory_bytes),
      })
      .default(STORE_DEFAULTS),
  })
  .default({ store: STORE_DEFAULTS });

export type ResponsesConfig = z.infer<typeof responsesSchema>;
