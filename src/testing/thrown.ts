/** What `fn` throws, or undefined when it returns: for specs that inspect an error's fields, not only its message. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
