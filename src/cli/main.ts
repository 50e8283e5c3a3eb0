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
  for (const c of COMMANDS) io.out(`  ${c.usage.padEnd(58)} ${c.summary}`);
}

/** CLI entry point; returns the exit code. */
export async function main(argv: string[], io: CommandIO = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
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
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.err(`switchyard ${name}: ${(err as Error).message}`);
    return 1;
  }
}
