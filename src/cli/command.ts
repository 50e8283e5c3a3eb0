import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { editDistance } from '../core/edit-distance.js';
import { fileProblem } from '../config/file-problem.js';

/** One CLI subcommand. Adding a command: one file in commands/ and its entry (name, summary, loader) in main.ts. */
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
  /** The width of the terminal `out` writes to; absent, or undefined, for a pipe or a file (`report` fits its table to it). */
  terminalColumns?: () => number | undefined;
  /** The directory relative paths and default files are looked up in. */
  cwd?: string;
}

/**
 * `io` whose error lines name the command (`switchyard report: no ledger at ...`), as main names it in
 * the refusals it prints: for what a command and the helpers it shares with others (ledger-source) print.
 */
export function namedErrors(io: CommandIO, command: string): CommandIO {
  return { ...io, err: (line) => io.err(`switchyard ${command}: ${line}`) };
}

/** A command line the command cannot run (a bad flag or flag value): exit status 2, with the usage. */
export class UsageError extends Error {}

/** True for what `node:util` parseArgs throws on an unknown option or a missing value. */
export function isArgumentError(err: unknown): boolean {
  return err instanceof UsageError || (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_'));
}

/**
 * A bad command line in words. parseArgs' own text names its internals ("'--owner <value>' argument
 * missing", positionals after '--'); its words are matched here and any other error's message kept.
 * `command` supplies the flags to suggest and their placeholders (`--out FILE`).
 */
export function argumentProblem(err: unknown, command: Pick<Command, 'usage' | 'help'>): string {
  const message = (err as Error).message;
  const code = String((err as { code?: unknown }).code);
  const text = `${command.usage}\n${command.help}`;
  const option = /^(?:Unknown option|Option) '(?:-\w, )?(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const flags = [...new Set(text.match(/--[a-z][\w-]*/g) ?? [])];
    const near = flags.filter((f) => editDistance(f, option) <= 2).sort((a, b) => editDistance(a, option) - editDistance(b, option))[0];
    return `unknown option ${option}${near === undefined ? '' : `; did you mean ${near}?`}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (message.includes('does not take an argument')) return `${option} takes no value: write just ${option}`;
    // The form the usage shows (`-c FILE` rather than `--config`), with its placeholder.
    const short = /^Option '(-\w), /.exec(message)?.[1];
    const shown = short !== undefined && new RegExp(`(^|[\\s[(])${short} `).test(text) ? short : option;
    const placeholder = new RegExp(`(?:^|[\\s[(])${shown} ([^\\s\\])[,-][^\\s\\]),]*)`).exec(text)?.[1] ?? 'VALUE';
    if (message.includes('ambiguous')) return `${shown} needs a value; to give one starting with "-", write ${shown}=${placeholder}`;
    return `${shown} needs a value: ${shown} ${placeholder}`;
  }
  const positional = /^Unexpected argument '(.*)'\. /s.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && positional !== undefined) return unexpectedArgument(positional, 'the command takes only options', command.usage);
  return message;
}

/** An argument past those a command takes, with what it takes; a config file given without its `-c` is told so. */
function unexpectedArgument(positional: string, takes: string, usage: string): string {
  const config = /\.ya?ml$/i.test(positional) && usage.includes('-c FILE') ? `; name the config file with -c ${positional}` : `: ${takes}`;
  return `unexpected argument "${positional}"${config}`;
}

/**
 * The name `typed` was probably meant as: one it begins (`check` → `check-config`), else the nearest by
 * edit distance when a typo away (at most 2 edits, and fewer than half the name).
 */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  const prefixed = names.filter((n) => typed.length >= 2 && n.startsWith(lower));
  if (prefixed.length === 1) return prefixed[0];
  let best: { name: string; distance: number } | undefined;
  for (const n of names) {
    const distance = editDistance(lower, n);
    if (distance <= 2 && distance < typed.length / 2 && (best === undefined || distance < best.distance)) best = { name: n, distance };
  }
  return best?.name;
}

/** A command's actions (`keys create`, `audit verify`), each with what its positional arguments are, in order (`revoke`: the key id). */
export type Actions<A extends string> = Readonly<Record<A, readonly string[]>>;

/**
 * The action the positionals name and its arguments, or a UsageError saying what is wrong: no action,
 * an unknown one (with the one probably meant), a missing argument, or one more than the action takes
 * (parseArgs' `allowPositionals` takes any number, so `keys list -c F extra` ran, ignoring `extra`).
 */
export function actionArgs<A extends string>(positionals: readonly string[], actions: Actions<A>, usage: string): { action: A; args: string[] } {
  const names = Object.keys(actions) as A[];
  const [action, ...args] = positionals;
  if (action === undefined) throw new UsageError(`name the action: one of ${names.join(', ')}`);
  // Own keys only: "constructor" would otherwise be read off the prototype.
  if (!Object.hasOwn(actions, action)) {
    const meant = closestName(action, names);
    const known = `one of ${names.join(', ')}`;
    throw new UsageError(`unknown action "${action}"; ${meant === undefined ? `expected ${known}` : `did you mean ${meant}? (expected ${known})`}`);
  }
  const takes = actions[action as A];
  const missing = takes[args.length];
  if (missing !== undefined) throw new UsageError(`${action}: missing ${missing}`);
  const extra = args[takes.length];
  if (extra !== undefined) throw new UsageError(unexpectedArgument(extra, `${action} takes ${takes.length === 0 ? 'only options' : `only ${takes.join(', ')} and options`}`, usage));
  return { action: action as A, args };
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

/**
 * An `--out FILE` checked before the command's work (a report's query, a consistency run's paid calls,
 * an export, the demo's start): its directory must exist and the path must not be a directory, else a UsageError naming
 * the flag. Past that, a failed write is still the write's own error.
 */
export function outFileFlag(flag: string, path: string | undefined, cwd?: string): string | undefined {
  if (path === undefined) return undefined;
  const problem = (err: unknown): UsageError => new UsageError(`cannot write ${flag} ${path}: ${fileProblem(err, true)}`);
  // Looked up where the command will write it (`cwd`), named as it was given.
  const at = cwd === undefined ? path : resolve(cwd, path);
  try {
    if (statSync(at).isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
    return path;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw problem(err);
  }
  try {
    if (!statSync(dirname(at)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    throw problem(err);
  }
  return path;
}

/** An `--out DIR` made (with its parents) before the command's work, so a drill's results have a place; a UsageError when it cannot be. */
export function outDirFlag(flag: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    // mkdir's EEXIST: the path is a file.
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write ${flag} ${path}: ${code === 'EEXIST' ? 'it is a file, not a directory' : fileProblem(err, true)}`);
  }
  return path;
}

/**
 * The width `report` fits its table to: a terminal's own (120 if it does not say); none for a pipe or a
 * file, whose reader (less -S, grep, a spreadsheet) is better served by whole values on one line.
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }): number | undefined {
  if (stream.isTTY !== true) return undefined;
  return stream.columns !== undefined && stream.columns > 0 ? stream.columns : 120;
}
