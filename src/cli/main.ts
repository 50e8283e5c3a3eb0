import { errorMessage } from '../core/error-trace.js';
import { packageVersion } from '../version.js';
import { argumentProblem, closestName, isArgumentError, type Command, type CommandIO } from './command.js';

/**
 * Every command by name, in help order, each imported only when it runs or its help is asked for:
 * `serve` then loads neither the simulators nor the drills, reports or key tools (importing them all
 * cost ~370 ms CPU at start against ~180 ms for `serve` alone; `serve` until listening: 450 → 300 ms CPU).
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Command>]> = [
  ['serve', async () => (await import('./commands/serve.js')).serveCommand],
  ['check-config', async () => (await import('./commands/check-config.js')).checkConfigCommand],
  ['demo', async () => (await import('./commands/demo.js')).demoCommand],
  ['sim', async () => (await import('./commands/sim.js')).simCommand],
  ['report', async () => (await import('./commands/report.js')).reportCommand],
  ['import-usage', async () => (await import('./commands/import-usage.js')).importUsageCommand],
  ['drill', async () => (await import('./commands/drill.js')).drillCommand],
  ['consistency', async () => (await import('./commands/consistency.js')).consistencyCommand],
  ['keys', async () => (await import('./commands/keys.js')).keysCommand],
  ['audit', async () => (await import('./commands/audit.js')).auditCommand],
];

/** The command an unknown name was probably meant as (`check` → `check-config`, `serv` → `serve`). */
export function closestCommand(name: string): string | undefined {
  return closestName(name, COMMANDS.map(([n]) => n));
}

/** The command called `name`, loaded; undefined for an unknown name. */
async function commandNamed(name: string | undefined): Promise<Command | undefined> {
  return COMMANDS.find(([n]) => n === name)?.[1]();
}

async function help(io: CommandIO): Promise<void> {
  const commands = await Promise.all(COMMANDS.map(([, load]) => load()));
  io.out('switchyard: one OpenAI-compatible API in front of every cloud\n');
  for (const c of commands) io.out(`  switchyard ${c.name.padEnd(14)} ${c.summary}`);
  io.out('\nswitchyard <command> --help shows a command\'s options.');
}

function commandHelp(command: Command, io: CommandIO): void {
  io.out(`usage: ${command.usage}\n\n${command.summary}\n\n${command.help}`);
}

/** An unknown command name, with the one it was probably meant as, and the list: a usage error. */
async function unknownCommand(name: string, io: CommandIO): Promise<number> {
  const meant = closestCommand(name);
  io.err(`switchyard: unknown command "${name}"${meant === undefined ? '' : `; did you mean ${meant}?`}`);
  await help(io);
  return 2;
}

/** A status line rewritten in place on a terminal's stderr; nothing when stderr is a pipe or a file. */
function terminalProgress(): ((status: string) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (status) => process.stderr.write(`\r\x1b[K${status}`);
}

/** CLI entry point; returns the exit code. */
export async function main(argv: string[], io: CommandIO = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env, progress: terminalProgress() }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(packageVersion());
    return 0;
  }
  // `help COMMAND`: that command's help; `help bogus` is an unknown command, as `bogus` is.
  const asked = name === 'help' && rest[0] !== undefined && rest[0] !== 'help' && !rest[0].startsWith('-') ? rest[0] : undefined;
  if (!name || name === '--help' || name === '-h' || (name === 'help' && asked === undefined)) {
    await help(io);
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
