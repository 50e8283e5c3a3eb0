import * as z from './zod.js';
import { CHAT_FIELDS, EMBEDDING_FIELDS } from '../ingress/openai-chat/fields.js';

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A deployment's `passthrough`: top-level request fields outside the mapped set that clients may send
 * to it. Mapped fields (and the `switchyard` hint) are refused: Switchyard already owns them.
 */
export const passthroughSchema = z
  .array(
    z
      .string()
      .regex(FIELD_NAME, 'expected a request field name such as service_tier')
      .refine((f) => !CHAT_FIELDS.has(f) && !EMBEDDING_FIELDS.has(f) && f !== 'switchyard', {
        error: (issue) => `"${String(issue.input)}" is a field Switchyard maps itself; passthrough is for other fields`,
      }),
  )
  .default([]);
