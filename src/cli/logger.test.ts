import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const logger = fileURLToPath(new URL('./logger.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/** Runs `body` in a fresh process with `createLoggers('info')` on stdout; returns the JSON lines it wrote. */
function run(body: string): Array<Record<string, unknown>> {
  const script = `import { createLoggers } from ${JSON.stringify(logger)};\nconst { logger, access } = createLoggers('info');\n${body}`;
  const out = spawnSync(tsx, ['--eval', script], { encoding: 'utf8', timeout: 20_000 });
  return out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('the CLI loggers', () => {
  it('write a lone line within a fraction of a second, though lines are buffered', () => {
    // SIGKILL runs no exit handler: the line is out only if the periodic flush wrote it.
    const lines = run(`access.info({ status: 200 }, 'request');\nsetTimeout(() => process.kill(process.pid, 'SIGKILL'), 800);`);
    expect(lines.map((l) => [l.msg, l.status])).toEqual([['request', 200]]);
  });

  it('write every buffered line when the process exits', () => {
    const lines = run(`for (let i = 0; i < 50; i++) access.info({ i }, 'request');\nlogger.warn({}, 'bye');\nprocess.exit(0);`);
    expect(lines.map((l) => l.i ?? l.msg)).toEqual([...Array.from({ length: 50 }, (_, i) => i), 'bye']);
  });
});
