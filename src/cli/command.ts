/** One CLI subcommand. Adding a command: one file in commands/ and one line in main.ts. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Options and examples, shown by `switchyard <command> --help`. */
  help: string;
  /** Returns the process exit code; long-running commands resolve when they stop. */
  run(args: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** A transient status line for long work (on a terminal only); an empty string clears it. */
  progress?: (status: string) => void;
  /** The directory relative paths and default files are looked up in. */
  cwd?: string;
}

/** A command line the command cannot run (a bad flag or flag value): exit status 2, with the usage. */
export class UsageError extends Error {}

/** True for what `node:util` parseArgs throws on an unknown option or a missing value. */
export function isArgumentError(err: unknown): boolean {
  return err instanceof UsageError || (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_'));
}

/** A flag's whole-number value within [min, max]; undefined when the flag is absent, a UsageError when it is not one. */
export function wholeNumberFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** A `--port` value: 0 (any free port) to 65535. */
export function portFlag(value: string | undefined): number | undefined {
  return wholeNumberFlag('--port', value, 0, 65_535);
}

/**
 * Runs `read` on flag values, turning what it throws into a UsageError (prefixed with `flag` when
 * given): a value that names nothing there (an unknown group or scenario) is a bad value too.
 */
export function readFlag<T>(read: () => T, flag?: string): T {
  try {
    return read();
  } catch (err) {
    throw new UsageError(flag === undefined ? (err as Error).message : `${flag}: ${(err as Error).message}`);
  }
}
