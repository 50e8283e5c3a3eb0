/**
 * A value the upstream sent (not null, not absent) of another JSON type than `type` (an object: not a
 * list): a field a decoder must refuse rather than read as absent, which would turn a reply it cannot
 * read into a silent, billed, empty answer. Null and absent stay the provider's "none".
 */
export function presentNot(value: unknown, type: 'string' | 'object'): boolean {
  return value !== undefined && value !== null && (typeof value !== type || (type === 'object' && Array.isArray(value)));
}
