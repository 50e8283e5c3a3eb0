/** A JSON object (not null, not an array): what a decoder checks before reading fields. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A client's value for an error message: a string cut to `max` characters, a number or boolean as
 * written, anything else by its kind. Never `String(value)`: an object whose `toString` is not a
 * function makes that throw (a 500 where a 400 is due).
 */
export function echoed(value: unknown, max = 40): string {
  if (typeof value === 'string') return value.length > max ? `${value.slice(0, max)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : 'an object';
}
