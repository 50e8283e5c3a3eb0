/** Resolves on the first SIGTERM or SIGINT (Kubernetes sends SIGTERM, a terminal SIGINT). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/**
 * Where bin/switchyard.js leaves what it heard while Node loaded the CLI for `serve` (its listeners keep
 * Node's default action, the end of the process, from SIGHUP and SIGTERM until serve has its own).
 */
export const EARLY_SIGNALS = Symbol.for('switchyard.earlySignals');

/** What bin/switchyard.js leaves under `EARLY_SIGNALS`. */
interface EarlySignals {
  heard: readonly NodeJS.Signals[];
  release(): void;
}

function isEarlySignals(value: unknown): value is EarlySignals {
  if (typeof value !== 'object' || value === null) return false;
  const { heard, release } = value as Record<string, unknown>;
  return Array.isArray(heard) && typeof release === 'function';
}

/**
 * Takes the signals over from bin/switchyard.js: removes its listeners (call it once yours are on, so no
 * signal meets Node's default in between) and returns what it heard, in order; none when the CLI was
 * started another way.
 */
export function takeEarlySignals(): NodeJS.Signals[] {
  const early: unknown = Reflect.get(globalThis, EARLY_SIGNALS);
  if (!isEarlySignals(early)) return [];
  Reflect.deleteProperty(globalThis, EARLY_SIGNALS);
  early.release();
  return [...early.heard];
}

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** What a stop signal asks: `now` for a second SIGINT (Ctrl-C pressed again: stop at once). */
export type StopListener = (signal: StopSignal, now: boolean) => void;

/**
 * `serve`'s SIGTERM and SIGINT listener from its first line to its exit: Node's default action for
 * either ends the process, so a second one during the drain would cut it (and under `--workers` a worker
 * hears the terminal's SIGINT and the primary's SIGTERM). Every signal is told to the listener of the
 * moment; a second SIGINT asks to stop now, as is conventional for Ctrl-C pressed twice.
 */
export class StopSignals {
  private readonly heard: StopSignal[] = [];
  private listener: StopListener = () => undefined;
  private readonly on = (signal: NodeJS.Signals): void => this.hear(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');

  constructor() {
    process.on('SIGTERM', this.on);
    process.on('SIGINT', this.on);
  }

  /** The first stop signal heard, if any. */
  get first(): StopSignal | undefined {
    return this.heard[0];
  }

  /** A stop signal, heard by the listener or by bin/switchyard.js before it. */
  hear(signal: StopSignal): void {
    const now = signal === 'SIGINT' && this.heard.includes('SIGINT');
    this.heard.push(signal);
    this.listener(signal, now);
  }

  /** Asks the listener to stop now, as a second SIGINT does (the primary relays the operator's to its workers). */
  stopNow(): void {
    this.listener('SIGINT', true);
  }

  /** Tells `listener` of every stop signal from now on, and at once of the first one heard before (if any). */
  listen(listener: StopListener): void {
    this.listener = listener;
    if (this.first !== undefined) listener(this.first, false);
  }

  /** Removes the listeners (for a caller that installs its own). */
  close(): void {
    process.off('SIGTERM', this.on);
    process.off('SIGINT', this.on);
  }
}
