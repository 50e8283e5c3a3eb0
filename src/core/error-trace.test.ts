import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { ErrorTrace, errorMessage, stackFrames } from './error-trace.js';

/** An error thrown by a function whose name the opaque-token net would take for a token if it scrubbed frames. */
function readsTheUpstreamReplyAndThrowsWhenItCannotDecodeIt(message: string): Error {
  return new TypeError(message);
}

const FORGED = 'bad reply\n    at wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY (AKIAIOSFODNN7EXAMPLE:1:1)\n    at Bearer opaqueForged0123';

describe('ErrorTrace', () => {
  it('carries the stack of the original error under the wrapper', () => {
    const original = new TypeError("Cannot read properties of undefined (reading 'name')");
    const text = ErrorTrace.of(new GatewayError({ kind: 'internal', message: 'Internal gateway error.', cause: original })).text;
    expect(text).toContain('GatewayError: Internal gateway error.');
    expect(text).toContain("caused by:\nTypeError: Cannot read properties of undefined (reading 'name')\n    at ");
  });

  it('scrubs every message of the chain and keeps the frames of the real stacks whole, however long', () => {
    const cause = readsTheUpstreamReplyAndThrowsWhenItCannotDecodeIt('upstream said api_key=hunter2hunter2');
    const text = ErrorTrace.of(new Error('wrapped: token ya29.a0AfH6SMBx-abc', { cause })).text;
    expect(text).toContain('Error: wrapped: token [redacted]\n    at ');
    expect(text).toContain('caused by:\nTypeError: upstream said api_key=[redacted]\n    at readsTheUpstreamReplyAndThrowsWhenItCannotDecodeIt (');
    expect(text).not.toContain('hunter2');
  });

  it('scrubs the lines of a message shaped like stack frames: only the frames V8 wrote after the message are trusted', () => {
    const text = ErrorTrace.of(readsTheUpstreamReplyAndThrowsWhenItCannotDecodeIt(FORGED)).text;
    expect(text).toMatch(/^TypeError: bad reply\n {4}at \[redacted\] \(\[redacted\]:1:1\)\n {4}at Bearer \[redacted\]\n {4}at readsTheUpstreamReplyAndThrowsWhenItCannotDecodeIt \(/);
    for (const secret of ['wJalrXUtnFEMI', 'AKIAIOSFODNN7EXAMPLE', 'opaqueForged0123']) expect(text).not.toContain(secret);
  });

  it('scrubs a stack whole when it no longer starts with the error (a message changed after the stack was read)', () => {
    const err = new Error(FORGED);
    void err.stack;
    err.message = 'changed';
    expect(ErrorTrace.of(err).text).toMatch(/^Error: bad reply\n {4}at \[redacted\] \(\[redacted\]:1:1\)\n {4}at Bearer \[redacted\]\n/);
  });

  it("cuts a huge message's header and keeps the frames V8 wrote after it", () => {
    const trace = ErrorTrace.of(new Error(`password=${'s'.repeat(30)} ${'z'.repeat(3_000_000)}`)).text;
    expect(trace.length).toBeLessThan(20_000);
    expect(trace).toContain('password=[redacted]');
    expect(trace).toMatch(/\n {4}at /);
  });

  it('scrubs what was thrown that is no Error, and reads as its text in any logger', () => {
    const trace = ErrorTrace.of('thrown: Bearer opaqueThrown0123');
    expect(trace.text).toBe('thrown: Bearer [redacted]');
    expect(JSON.stringify({ err: trace })).toBe('{"err":"thrown: Bearer [redacted]"}');
    expect(String(trace)).toBe(trace.text);
  });
});

describe('stackFrames', () => {
  it('gives the lines after the header only, though a message (JSON.parse quotes the reply) holds lines shaped like frames', () => {
    let thrown: unknown;
    try {
      JSON.parse('{"a":\n    at sk-proj-forgedframe0123');
    } catch (err) {
      thrown = err;
    }
    const frames = stackFrames(thrown as Error) ?? [];
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((line) => line.startsWith('    at '))).toBe(true);
    expect(frames.join('\n')).not.toContain('sk-proj');
  });

  it('gives none it cannot tell from the message: a stack a library wrote', () => {
    expect(stackFrames(Object.assign(new Error('x'), { stack: 'something else\n    at y' }))).toBeUndefined();
    expect(stackFrames(Object.assign(new Error('x'), { stack: undefined }))).toBeUndefined();
  });
});

describe('errorMessage', () => {
  it("is a driver's message with its credentials scrubbed: pg quotes a connection string, ioredis a URL", () => {
    expect(errorMessage(new Error('connect to postgres://user:secret@host/db failed'))).toBe('connect to postgres://user:[redacted]@host/db failed');
    expect(errorMessage(new Error('Connection is closed. redis://:hunter2pass@cache.internal:6379'))).toBe('Connection is closed. redis://:[redacted]@cache.internal:6379');
    expect(errorMessage(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('is cut to 16 K characters after scrubbing, however long the message: a secret across the cut leaves nothing of itself', () => {
    const key = 'sk-proj-' + 'A1b2C3d4'.repeat(6);
    const huge = `${'x '.repeat(8190)}${key} ${'y'.repeat(5_000_000)}`;
    const message = errorMessage(new Error(huge));
    expect(message.length).toBe(16 * 1024 + 1);
    // Scrubbed, then cut: the cut falls inside the redaction mark, never inside the key.
    expect(message.endsWith('x [red…')).toBe(true);
    expect(message).not.toContain('sk-p');
    expect(message).not.toContain('A1b2');
  });

  it('shows a thrown non-Error as String does, scrubbed, and one whose String throws as a non-Error', () => {
    expect(errorMessage('postgres://user:secret@host/db down')).toBe('postgres://user:[redacted]@host/db down');
    expect(errorMessage(undefined)).toBe('undefined');
    const hostile = {
      toString(): string {
        throw new Error('no');
      },
    };
    expect(errorMessage(hostile)).toBe('non-Error thrown');
  });
});
