import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLoggers } from './logger.js';

const logger = fileURLToPath(new URL('./logger.ts', import.meta.url));
const errorTrace = fileURLToPath(new URL('../core/error-trace.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
/** Node itself with tsx's loader (the `tsx` command would put a second process between the test and the one it watches). */
const nodeArgs = (body: string): string[] => ['--import', 'tsx', '--input-type=module', '--eval', withLoggers(body)];

/** A module body run with `logger` and `access` from `createLoggers('info')` on stdout. */
const withLoggers = (body: string): string => `import { createLoggers } from ${JSON.stringify(logger)};\nconst { logger, access } = createLoggers('info');\n${body}`;

/** Runs `body` in a fresh process with the loggers; returns the JSON lines it wrote. */
function run(body: string): Array<Record<string, unknown>> {
  const out = spawnSync(process.execPath, nodeArgs(body), { cwd: root, encoding: 'utf8', timeout: 20_000 });
  return out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface Started {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves with the exit code; listened for from the start, so an early exit is not missed. */
  exited: Promise<number | null>;
  /** What the process wrote to stderr so far. */
  stderr: () => string;
}

/**
 * Starts `body` in a fresh process with the loggers, its stdout a pipe the test reads. With `stallUntil`
 * (a file's path), the pipe's reader is a shell that reads nothing until that file exists, then copies:
 * a reader stalled in the kernel's sense (a paused Node stream is not one: it may still drain the pipe,
 * and node:child_process resumes it, discarding what it held, when the process exits). The process
 * makes the file when it has seen what it measures, however slowly a loaded machine started it.
 */
function start(body: string, stallUntil?: string): Started {
  const args = nodeArgs(body);
  const child =
    stallUntil === undefined
      ? spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('/bin/sh', ['-c', `"$0" "$@" | { until [ -e '${stallUntil}' ]; do sleep 0.05; done; cat; }`, process.execPath, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { child, exited, stderr: () => err };
}

describe('the CLI loggers', () => {
  it('scrub credentials from the error text of every line but the access log, a thrown Error included (its name and message, no stack)', () => {
    const lines = run(`
      logger.error({ err: 'connect to postgres://app:hunter2secret@db:5432 failed; sent Bearer abc.def.ghi' }, 'store failed');
      logger.warn({ err: new TypeError('upstream said: api_key=sk-live-0123456789abcdef') }, 'refresh failed');`);
    expect(lines.map((l) => l.err)).toEqual(['connect to postgres://app:[redacted]@db:5432 failed; sent Bearer [redacted]', 'TypeError: upstream said: api_key=[redacted]']);
  });

  it("scrub a text's lines shaped like stack frames too (an upstream's message can hold one); an internal error's trace keeps its real frames whole", () => {
    const lines = run(`
      import { ErrorTrace } from ${JSON.stringify(errorTrace)};
      function readsTheUpstreamReplyAndThrowsWhenItCannotDecodeIt() { return new Error('token ya29.a0AfH6SMBx'); }
      logger.error({ err: 'upstream said: bad\\n    at wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, 'store failed');
      logger.error({ err: ErrorTrace.of(readsTheUpstreamReplyAndThrowsWhenItCannotDecodeIt()) }, 'internal error');`);
    expect(lines[0]?.err).toBe('upstream said: bad\n    at [redacted]');
    // A frame's name or path is kept whole, though it is long enough to pass for an opaque token.
    expect(lines[1]?.err).toMatch(/^Error: token \[redacted\]\n {4}at readsTheUpstreamReplyAndThrowsWhenItCannotDecodeIt \(/);
  });

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
    // ~230 KB of lines while nobody reads the pipe (64 KB): a synchronous write would block the loop.
    const readAgain = join(mkdtempSync(join(tmpdir(), 'switchyard-log-')), 'read-again');
    const { child, exited, stderr } = start(
      [
        "import { writeFileSync } from 'node:fs';",
        'let last = Date.now(), maxGap = 0, queued = 0;',
        'const beat = setInterval(() => { const now = Date.now(); maxGap = Math.max(maxGap, now - last); last = now; queued = Math.max(queued, process.stdout.writableLength); }, 10);',
        "const pad = 'x'.repeat(300);",
        "for (let i = 0; i < 600; i++) access.info({ i, pad }, 'request');",
        `setTimeout(() => { clearInterval(beat); process.stderr.write(\`maxGap=\${maxGap} queued=\${queued}\\n\`); writeFileSync(${JSON.stringify(readAgain)}, ''); }, 1000);`,
      ].join('\n'),
      readAgain,
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect(await exited).toBe(0);
    const gap = Number(/maxGap=(\d+)/.exec(stderr())?.[1]);
    expect(gap).toBeLessThan(500);
    // The reader really stalled: lines waited in memory (the pipe was full) while the loop ran on.
    expect(Number(/queued=(\d+)/.exec(stderr())?.[1])).toBeGreaterThan(64 * 1024);
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
    const out = spawnSync(process.execPath, nodeArgs(script), { cwd: root, encoding: 'utf8', timeout: 20_000 });
    const lines = out.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i);
    expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // ~14 KB of lines in batches of at most 4 KB (PIPE_BUF), each one write.
    expect(Number(/writes=(\d+)/.exec(out.stderr)?.[1])).toBeGreaterThanOrEqual(4);
  });

  it('stop writing, never crash, when the reader of the pipe goes away (EPIPE)', async () => {
    const { child, exited, stderr } = start(
      [
        'let i = 0;',
        "const beat = setInterval(() => { for (let k = 0; k < 50; k++) access.info({ i: i++, pad: 'x'.repeat(200) }, 'request'); if (i >= 5000) { clearInterval(beat); process.stderr.write('done\\n'); } }, 2);",
      ].join('\n'),
    );
    // The reader leaves after the first bytes: every later write finds the pipe closed.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await exited;
    expect(stderr().trim()).toBe('done');
    expect(code).toBe(0);
  }, 20_000);
});
