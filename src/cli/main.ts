import type { Command, CommandIO } from './command.js';
import { serveCommand } from './commands/serve.js';
import { checkConfigCommand } from './commands/check-config.js';
import { demoCommand } from './commands/demo.js';
import { simCommand } from './commands/sim.js';
import { reportCommand } from './commands/report.js';
import { keysCommand } from './commands/keys.js';
import { auditCommand } from './commands/audit.js';
import { drillCommand } from './commands/drill.js';
import { consistencyCommand } from './commands/consistency.js';

const COMMANDS: readonly Command[] = [serveCommand, checkConfigCommand, demoCommand, simCommand, reportCommand, drillCommand, consistencyCommand, keysCommand, auditCommand];

function help(io: CommandIO): void {
  io.out('switchyard: one OpenAI-compatible API in front of every cloud\n');
  for (const c of COMMANDS) io.out(`  switchyard ${c.name.padEnd(13)} ${c.summary}`);
  io.out('\nswitchyard <command> --help shows a command\'s options.');
}

function commandHelp(command: Command, io: CommandIO): void {
  io.out(`usage: ${command.usage}\n\n${command.summary}\n\n${command.help}`);
}

/** A status line rewritten in place on a terminal's stderr; nothing when stderr is a pipe or a file. */
function terminalProgress(): ((status: string) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (status) => process.stderr.write(`\r\x1b[K${status}`);
}

/** CLI entry point; returns the exit code. */
export async function main(argv: string[], io: CommandIO = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env, progress: terminalProgress() }): Promise<number> {
  const [name, ...rest] = argv;
  const asked = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
  if (asked) {
    commandHelp(asked, io);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`switchyard: unknown command "${name}"`);
    help(io);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    commandHelp(command, io);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.err(`switchyard ${name}: ${(err as Error).message}`);
    return 1;
  }
}
