/** A JSON object (not null, not an array): what a decoder checks before reading fields. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
