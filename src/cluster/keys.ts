/** The ask that has a worker reload its virtual keys because another worker wrote one. */
export const KEYS_TOPIC = 'keys-changed';

/** How long a key write waits for the other workers' reloads; one that has not answered by then sees it at its next poll. */
export const KEYS_CHANGED_MS = 3_000;

/**
 * Has every other worker reload its keys (each an `ask` of `KEYS_TOPIC`), all at once, and resolves with
 * how many did within `KEYS_CHANGED_MS`. A worker that fails or is slow is not waited for longer: its
 * poll (`keys.refresh_ms`) still brings it the change.
 */
export async function keysChangedElsewhere(others: ReadonlyArray<(timeoutMs: number) => Promise<unknown>>): Promise<number> {
  const told = await Promise.allSettled(others.map((ask) => ask(KEYS_CHANGED_MS)));
  return told.filter((t) => t.status === 'fulfilled').length;
}
