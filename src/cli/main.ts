import { errorMessage } from '../core/error-trace.js';
import { packageVersion } from '../version.js';
import { argumentProblem, closestName, isArgumentError, terminalWidth, type Command, type CommandIO } from './command.js';

/** A command's name, its one-line summary as the overview shows it, and how to load it. */
export interface CommandEntry {
  name: string;
  /** The command's own `summary`, copied: the overview and an unknown command's answer then load no command (main.test.ts keeps the two equal). */
  summary: string;
  load: () => Promise<Command>;
}

/**
 * Every command by name, in help order, each imported only when it runs or its help is asked for:
 * `serve` then loads neither the simulators nor the drills, reports or key tools (importing them all
 * cost ~370 ms CPU at start against ~180 ms for `serve` alone; `serve` until listening: 450 → 300 ms CPU).
 * The overview (`switchyard --help`, an unknown command) reads the summaries here and loads none
 * (it loaded all ten: 1.6-2.6 s against 0.9 s for `serve --help`).
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'serve', summary: 'run the gateway from a config file', load: async () => (await import('./commands/serve.js')).serveCommand },
  {
    name: 'check-config',
    summary: 'validate a config file and print every problem with its path; --explain proves where every key, team and residency can reach',
    load: async () => (await import('./commands/check-config.js')).checkConfigCommand,
  },
  { name: 'demo', summary: 'run the gateway in front of built-in cloud simulators (no credentials)', load: async () => (await import('./commands/demo.js')).demoCommand },
  { name: 'sim', summary: 'run one cloud simulator (fault control at POST /__sim/faults)', load: async () => (await import('./commands/sim.js')).simCommand },
  { name: 'report', summary: 'usage and cost from the ledger; --advise: provisioned-throughput break-even', load: async () => (await import('./commands/report.js')).reportCommand },
  {
    name: 'import-usage',
    summary: 'store usage events from log exports, spill files or journal segments in the ledger',
    load: async () => (await import('./commands/import-usage.js')).importUsageCommand,
  },
  { name: 'drill', summary: 'disaster-recovery drill: inject a fault under load, measure failover', load: async () => (await import('./commands/drill.js')).drillCommand },
  {
    name: 'consistency',
    summary: 'send a prompt set to every deployment of a group and flag differences',
    load: async () => (await import('./commands/consistency.js')).consistencyCommand,
  },
  { name: 'keys', summary: 'manage virtual keys in the ledger database (the secret is printed once)', load: async () => (await import('./commands/keys.js')).keysCommand },
  { name: 'audit', summary: 'verify the audit log hash chain, or export it as JSON lines (for a SIEM)', load: async () => (await import('./commands/audit.js')).auditCommand },
];

/** The command an unknown name was probably meant as (`check` → `check-config`, `serv` → `serve`). */
export function closestCommand(name: string): string | undefined {
  return closestName(name, COMMANDS.map((c) => c.name));
}

/** The command called `name`, loaded; undefined for an unknown name. */
async function commandNamed(name: string | undefined): Promise<Command | undefined> {
  return COMMANDS.find((c) => c.name === name)?.load();
}

function help(io: CommandIO): void {
  io.out('switchyard: one OpenAI-compatible API in front of every cloud\n');
  for (const c of COMMANDS) io.out(`  switchyard ${c.name.padEnd(14)} ${c.summary}`);
  io.out('\nswitchyard <command> --help shows a command\'s options; switchyard --version (-v) prints the version.');
}

function commandHelp(command: Command, io: CommandIO): void {
  io.out(`usage: ${command.usage}\n\n${command.summary}\n\n${command.help}`);
}

/** An unknown command name, with the one it was probably meant as, and the list: a usage error. */
function unknownCommand(name: string, io: CommandIO): number {
  const meant = closestCommand(name);
  io.err(`switchyard: unknown command "${name}"${meant === undefined ? '' : `; did you mean ${meant}?`}`);
  help(io);
  return 2;
}

/** A status line rewritten in place on a terminal's stderr; nothing when stderr is a pipe or a file. */
function terminalProgress(): ((status: string) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (status) => process.stderr.write(`\r\x1b[K${status}`);
}

/** CLI entry point; returns the exit code. */
export async function main(
  argv: string[],
  io: CommandIO = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env, progress: terminalProgress(), terminalColumns: () => terminalWidth(process.stdout) },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(packageVersion());
    return 0;
  }
  // `help COMMAND`: that command's help; `help bogus` is an unknown command, as `bogus` is.
  const asked = name === 'help' && rest[0] !== undefined && rest[0] !== 'help' && !rest[0].startsWith('-') ? rest[0] : undefined;
  if (!name || name === '--help' || name === '-h' || (name === 'help' && asked === undefined)) {
    help(io);
    return name ? 0 : 2;
  }
  const command = await commandNamed(asked ?? name);
  if (!command) return unknownCommand(asked ?? name, io);
  if (asked !== undefined || rest.includes('--help') || rest.includes('-h')) {
    commandHelp(command, io);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (!isArgumentError(err)) {
      io.err(`switchyard ${name}: ${errorMessage(err)}`);
      return 1;
    }
    io.err(`switchyard ${name}: ${argumentProblem(err, command)}`);
    io.err(`usage: ${command.usage}`);
    return 2;
  }
}
