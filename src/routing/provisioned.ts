import * as z from '../config/zod.js';

/**
 * Reserved capacity bought for a deployment (Bedrock model units, Azure PTUs, Vertex GSUs). The
 * router prefers a provisioned deployment up to its capacity and spills to on-demand beyond; the ledger
 * reads `monthly_usd` for break-even advice. Capacity is `capacity_rpm` and/or `max_concurrency`.
 */
export const provisionedSchema = z
  .strictObject({
    monthly_usd: z.number().min(0),
    capacity_rpm: z.number().int().positive().optional(),
    max_concurrency: z.number().int().positive().optional(),
    units: z.number().positive().optional(),
    kind: z.enum(['bedrock-model-units', 'azure-ptu', 'vertex-gsu']).optional(),
  })
  .refine((p) => p.capacity_rpm !== undefined || p.max_concurrency !== undefined, {
    message: 'provisioned capacity needs capacity_rpm or max_concurrency',
  });

export type ProvisionedConfig = z.infer<typeof provisionedSchema>;
