import type { InterruptionNotice } from '../ops/interruption/notice.js';

/**
 * The primary's push of an interruption notice to every worker. Under `serve --workers` only the
 * primary watches the metadata service: a worker acknowledging its own drain (Azure's StartRequests)
 * would let the platform take the machine while another worker still serves.
 */
export const INTERRUPTION_TOPIC = 'interruption';

const CLOUDS: ReadonlySet<unknown> = new Set<InterruptionNotice['cloud']>(['aws', 'gcp', 'azure']);

/** A pushed notice as a worker receives it (IPC carries unknown); undefined when it is not one. */
export function asNotice(data: unknown): InterruptionNotice | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { cloud, kind, deadline } = data as Record<string, unknown>;
  if (!CLOUDS.has(cloud) || typeof kind !== 'string' || (deadline !== undefined && typeof deadline !== 'number')) return undefined;
  return { cloud: cloud as InterruptionNotice['cloud'], kind, deadline };
}
