/** One CLI subcommand. Adding a command: one file in commands/ and one line in main.ts. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Returns the process exit code; long-running commands resolve when they stop. */
  run(args: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}
