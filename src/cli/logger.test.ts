import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLoggers } from './logger.js';

const logger = fileURLToPath(new URL('./logger.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/** A module body run with `logger` and `access` from `createLoggers('info')` on stdout. */
const withLoggers = (body: string): string => `import { createLoggers } from ${JSON.stringify(logger)};\nconst { logger, access } = createLoggers('info');\n${body}`;

/** Runs `body` in a fresh process with the loggers; returns the JSON lines it wrote. */
function run(body: string): Array<Record<string, unknown>> {
  const out = spawnSync(tsx, ['--eval', withLoggers(body)], { encoding: 'utf8', timeout: 20_000 });
  return out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Starts `body` in a fresh process with the loggers, its stdout a pipe the test reads (or not); `stderr()` is what it wrote there so far. */
function start(body: string): { child: ChildProcessByStdio<null, Readable, Readable>; stderr: () => string } {
  const child = spawn(tsx, ['--eval', withLoggers(body)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { child, stderr: () => err };
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

  it('keep the event loop running while the log reader stalls, and write every line once it reads again', async () => {
    // ~200 KB of lines while nobody reads the pipe (64 KB): a synchronous write would block the loop.
    const { child, stderr } = start(
      [
        'let last = Date.now(), maxGap = 0;',
        'const beat = setInterval(() => { const now = Date.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 10);',
        "const pad = 'x'.repeat(300);",
        "for (let i = 0; i < 600; i++) access.info({ i, pad }, 'request');",
        "setTimeout(() => { clearInterval(beat); process.stderr.write(`maxGap=${maxGap}\\n`); }, 1000);",
      ].join('\n'),
    );
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 1_500));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.resume();
    await new Promise((r) => child.on('exit', r));
    const gap = Number(/maxGap=(\d+)/.exec(stderr())?.[1]);
    expect(gap).toBeLessThan(500);
    expect(out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: 600 }, (_, i) => i));
  }, 20_000);

  it('write to a regular file in 16 KB batches, synchronously: the thread pool costs more than the write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-log-'));
    try {
      const file = join(dir, 'access.log');
      const { access } = createLoggers('info', openSync(file, 'a'));
      const pad = 'x'.repeat(300);
      for (let i = 0; i < 60; i++) access.info({ i, pad }, 'request');
      // Nothing was awaited: what is in the file was written before this line ran, one full batch.
      const written = readFileSync(file, 'utf8');
      const lines = written.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i);
      expect(lines).toEqual(Array.from({ length: lines.length }, (_, i) => i));
      expect(Buffer.byteLength(written)).toBeGreaterThan(12 * 1024);
      expect(Buffer.byteLength(written)).toBeLessThanOrEqual(16 * 1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('write to stdout on a pipe through process.stdout (non-blocking, on the event loop thread: no thread pool hand-off)', () => {
    const script = [
      'let writes = 0;',
      'const write = process.stdout.write.bind(process.stdout);',
      'process.stdout.write = (chunk, ...rest) => { writes += 1; return write(chunk, ...rest); };',
      "for (let i = 0; i < 40; i++) access.info({ i, pad: 'x'.repeat(300) }, 'request');",
      "setTimeout(() => process.stderr.write(`writes=${writes}\\n`), 400);",
    ].join('\n');
    const out = spawnSync(tsx, ['--eval', withLoggers(script)], { encoding: 'utf8', timeout: 20_000 });
    const lines = out.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i);
    expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // ~14 KB of lines in batches of at most 4 KB (PIPE_BUF), each one write.
    expect(Number(/writes=(\d+)/.exec(out.stderr)?.[1])).toBeGreaterThanOrEqual(4);
  });

  it('stop writing, never crash, when the reader of the pipe goes away (EPIPE)', async () => {
    const { child, stderr } = start(
      [
        'let i = 0;',
        "const beat = setInterval(() => { for (let k = 0; k < 50; k++) access.info({ i: i++, pad: 'x'.repeat(200) }, 'request'); if (i >= 5000) { clearInterval(beat); process.stderr.write('done\\n'); } }, 2);",
      ].join('\n'),
    );
    // The reader leaves after the first bytes: every later write finds the pipe closed.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((r) => child.on('exit', r));
    expect(stderr().trim()).toBe('done');
    expect(code).toBe(0);
  }, 20_000);
});
