let turn: Promise<void> | undefined;

/**
 * Resolves in the check phase of this turn of the event loop (`setImmediate`), with one promise for
 * everyone who asks in the turn: answers held by it leave together, after the turn's socket reads
 * were all handled, rather than one by one in the middle of them. On a busy gateway that is what
 * makes the writes cheap (measured in bench/README.md: ~35 µs less CPU per json request at 64
 * connections without a journal, whose commit holds answers the same way).
 */
export function endOfTurn(): Promise<void> {
  return (turn ??= new Promise<void>((resolve) => {
    setImmediate(() => {
      // Cleared first: whoever asks while the held answers go out waits for the next turn.
      turn = undefined;
      resolve();
    });
  }));
}
