import { describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, ResponseParseError, ResponseParser, type ResponseHead } from './response-parser.js';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  ends: boolean[];
}

/** Feeds `wire` in pieces of `step` bytes (0: whole); `eof` then ends the connection. */
function parse(wire: string, { step = 0, bodyless = false, eof = false } = {}): Parsed {
  const out: Parsed = { heads: [], body: '', ends: [] };
  const parser = new ResponseParser({
    onHead: (head) => out.heads.push(head),
    onBody: (chunk) => (out.body += chunk.toString('latin1')),
    onEnd: (reusable) => out.ends.push(reusable),
  });
  parser.expect(bodyless);
  const bytes = Buffer.from(wire, 'latin1');
  const size = step === 0 ? bytes.length : step;
  for (let at = 0; at < bytes.length; at += size) parser.execute(bytes.subarray(at, at + size));
  if (eof) parser.finish();
  return out;
}

/** The same reply split at every byte must parse as it does whole. */
function expectSplitInvariant(wire: string, options: { bodyless?: boolean; eof?: boolean } = {}): Parsed {
  const whole = parse(wire, options);
  for (const step of [1, 2, 3, 7, 13]) expect(parse(wire, { ...options, step })).toEqual(whole);
  return whole;
}

const head = (lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;

describe('ResponseParser', () => {
  it('reads a Content-Length body, whole or split at any byte, and keeps the connection', () => {
    const parsed = expectSplitInvariant(head(['HTTP/1.1 200 OK', 'Content-Type: application/json', 'Content-Length: 11']) + '{"ok":true}');
    expect(parsed.heads).toEqual([{ status: 200, headers: { 'content-type': 'application/json', 'content-length': '11' }, keepAliveHintMs: undefined }]);
    expect(parsed.body).toBe('{"ok":true}');
    expect(parsed.ends).toEqual([true]);
  });

  it('reads a chunked body with extensions and trailers, split at any byte', () => {
    const wire = head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '5;name=value\r\nhello\r\n6 \r\n world\r\n0\r\nx-trailer: 1\r\n\r\n';
    const parsed = expectSplitInvariant(wire);
    expect(parsed.body).toBe('hello world');
    expect(parsed.ends).toEqual([true]);
  });

  it('reads a body framed by neither as running to the close, and never reuses that connection', () => {
    const wire = head(['HTTP/1.1 200 OK', 'Content-Type: text/plain']) + 'all of it';
    const open = parse(wire);
    expect(open.ends).toEqual([]);
    const parsed = expectSplitInvariant(wire, { eof: true });
    expect(parsed.body).toBe('all of it');
    expect(parsed.ends).toEqual([false]);
  });

  it('reads no body for 204, 304 and an answer to HEAD, whatever the headers announce', () => {
    expect(parse(head(['HTTP/1.1 204 No Content'])).ends).toEqual([true]);
    expect(parse(head(['HTTP/1.1 304 Not Modified', 'Content-Length: 40'])).ends).toEqual([true]);
    expect(parse(head(['HTTP/1.1 200 OK', 'Content-Length: 40']), { bodyless: true }).ends).toEqual([true]);
  });

  it('skips 1xx interim answers and reports the final one', () => {
    const parsed = expectSplitInvariant(head(['HTTP/1.1 100 Continue']) + head(['HTTP/1.1 103 Early Hints', 'Link: </a>']) + head(['HTTP/1.1 201 Created', 'Content-Length: 2']) + 'ok');
    expect(parsed.heads.map((h) => h.status)).toEqual([201]);
    expect(parsed.body).toBe('ok');
  });

  it('lower-cases names, trims values and gathers a repeated header into an array in order', () => {
    const parsed = parse(head(['HTTP/1.1 200', 'X-Request-Id:  abc ', 'Set-Cookie: a=1', 'set-cookie: b=2', 'Content-Length: 0']));
    expect(parsed.heads[0]?.headers).toEqual({ 'x-request-id': 'abc', 'set-cookie': ['a=1', 'b=2'], 'content-length': '0' });
  });

  it('reads headers and trailers named like Object.prototype members as plain headers', () => {
    const parsed = expectSplitInvariant(head(['HTTP/1.1 200 OK', 'Constructor: a', 'constructor: b', '__proto__: c', 'toString: d', 'Transfer-Encoding: chunked']) + '2\r\nok\r\n0\r\nconstructor: e\r\n__proto__: f\r\n\r\n');
    expect(parsed.body).toBe('ok');
    expect(parsed.ends).toEqual([true]);
    expect(Object.entries(parsed.heads[0]?.headers ?? {})).toEqual([
      ['constructor', ['a', 'b']],
      ['__proto__', 'c'],
      ['tostring', 'd'],
      ['transfer-encoding', 'chunked'],
    ]);
  });

  it('reads a chunk size followed by blanks before its extension', () => {
    expect(expectSplitInvariant(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '2 \t;a=b\r\nok\r\n0\r\n\r\n').body).toBe('ok');
  });

  it('reuses a connection by HTTP/1.1 default and by HTTP/1.0 keep-alive only, never after Connection: close', () => {
    expect(parse(head(['HTTP/1.1 200 OK', 'Connection: close', 'Content-Length: 0'])).ends).toEqual([false]);
    expect(parse(head(['HTTP/1.0 200 OK', 'Content-Length: 0'])).ends).toEqual([false]);
    expect(parse(head(['HTTP/1.0 200 OK', 'Connection: Keep-Alive', 'Content-Length: 0'])).ends).toEqual([true]);
  });

  it('reads the Keep-Alive timeout hint in milliseconds', () => {
    expect(parse(head(['HTTP/1.1 200 OK', 'Keep-Alive: timeout=5, max=100', 'Content-Length: 0'])).heads[0]?.keepAliveHintMs).toBe(5000);
  });

  it('frames by chunked when both framings are sent, and then closes the connection (RFC 9112 §6.1)', () => {
    const parsed = parse(head(['HTTP/1.1 200 OK', 'Content-Length: 3', 'Transfer-Encoding: chunked']) + '5\r\nhello\r\n0\r\n\r\n');
    expect(parsed.body).toBe('hello');
    expect(parsed.ends).toEqual([false]);
  });

  it('reads to the close when chunked is not the final transfer coding', () => {
    const parsed = parse(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: gzip']) + 'zz', { eof: true });
    expect(parsed.body).toBe('zz');
    expect(parsed.ends).toEqual([false]);
  });

  it('closes after an HTTP/1.0 answer framed by Transfer-Encoding, keep-alive or not (RFC 9112 §6.1)', () => {
    expect(parse(head(['HTTP/1.0 200 OK', 'Connection: keep-alive', 'Transfer-Encoding: chunked']) + '2\r\nok\r\n0\r\n\r\n').ends).toEqual([false]);
  });

  it('reads a chunk size padded with leading zeros', () => {
    expect(parse(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '00000000000000002\r\nok\r\n0\r\n\r\n').body).toBe('ok');
  });

  it('joins a head that trickles in a byte a read only once it is whole, and refuses one past the limit', () => {
    const long = head(['HTTP/1.1 200 OK', `X-Long: ${'a'.repeat(30_000)}`, 'Content-Length: 2']) + 'ok';
    expect(parse(long, { step: 1 }).body).toBe('ok');
    expect(() => parse(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}`, { step: 1 })).toThrow(/exceeded/);
  });

  it('accepts a list of equal Content-Length values', () => {
    expect(parse(head(['HTTP/1.1 200 OK', 'Content-Length: 2, 2']) + 'ok').body).toBe('ok');
  });

  it('does not reuse a connection that sent bytes after its complete response', () => {
    expect(parse(head(['HTTP/1.1 200 OK', 'Content-Length: 2']) + 'okEXTRA').ends).toEqual([false]);
  });

  describe('refuses a reply it cannot frame with certainty', () => {
    const cases: Array<[string, string, { eof?: boolean }?]> = [
      ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK\r\n\r\n'],
      ['a status code that is not three digits', 'HTTP/1.1 2000 OK\r\n\r\n'],
      ['101 Switching Protocols (never asked for)', head(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket'])],
      ['a space before the colon', head(['HTTP/1.1 200 OK', 'Content-Length : 2']) + 'ok'],
      ['a folded header line', head(['HTTP/1.1 200 OK', 'X-A: 1', ' folded', 'Content-Length: 0'])],
      ['a line without a colon', head(['HTTP/1.1 200 OK', 'garbage', 'Content-Length: 0'])],
      ['a bare CR inside a value', head(['HTTP/1.1 200 OK', 'X-A: 1\rContent-Length: 0'])],
      ['a NUL inside a value', head(['HTTP/1.1 200 OK', 'X-A: a\0b', 'Content-Length: 0'])],
      ['a Content-Length that is not a number', head(['HTTP/1.1 200 OK', 'Content-Length: 1e3'])],
      ['a negative Content-Length', head(['HTTP/1.1 200 OK', 'Content-Length: -1'])],
      ['conflicting Content-Length values', head(['HTTP/1.1 200 OK', 'Content-Length: 2', 'Content-Length: 3']) + 'ok'],
      ['a chunk size that is not hexadecimal', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + 'zz\r\n'],
      ['a chunk size past 2^48', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '1000000000000\r\n'],
      ['a chunk that does not end with CRLF', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '2\r\nokX\r\n'],
      ['a chunk-size line ending in a bare LF', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '2\nok\r\n'],
      ['a NUL in a chunk extension', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '2;a=\x00b\r\nok\r\n0\r\n\r\n'],
      ['an end before the announced length', head(['HTTP/1.1 200 OK', 'Content-Length: 5']) + 'ok', { eof: true }],
      ['an end before the last chunk', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '2\r\nok\r\n', { eof: true }],
      ['an end before the head is complete', 'HTTP/1.1 200 OK\r\nContent-', { eof: true }],
      ['a vertical tab at the edge of a value (trim would hide it)', head(['HTTP/1.1 200 OK', 'Content-Length: 2\x0b']) + 'ok'],
      ['a form feed before a value', head(['HTTP/1.1 200 OK', 'Transfer-Encoding:\x0cchunked']) + '0\r\n\r\n'],
      ['a bare LF ending a value', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked\n', 'Content-Length: 2']) + 'ok'],
      ['a no-break space after a length', head(['HTTP/1.1 200 OK', 'Content-Length: 2\xa0']) + 'ok'],
      ['a malformed header in an interim answer', head(['HTTP/1.1 100 Continue', 'X-A: a\rb']) + head(['HTTP/1.1 200 OK', 'Content-Length: 0'])],
      ['more than ten interim answers', head(['HTTP/1.1 100 Continue']).repeat(11) + head(['HTTP/1.1 200 OK', 'Content-Length: 0'])],
      ['chunked applied twice', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked, chunked']) + '0\r\n\r\n'],
      ['a NUL in a chunk extension', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '2;a=\0\r\nok\r\n0\r\n\r\n'],
      ['a no-break space after a chunk size', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '2\xa0\r\nok\r\n0\r\n\r\n'],
      ['a trailer line without a colon', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '0\r\ngarbage\r\n\r\n'],
    ];
    for (const [name, wire, options] of cases) {
      it(name, () => {
        expect(() => parse(wire, options)).toThrow(ResponseParseError);
        expect(() => parse(wire, { ...options, step: 1 })).toThrow(ResponseParseError);
      });
    }

    it('a head larger than the limit, before its end has arrived', () => {
      const huge = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}`;
      expect(() => parse(huge, { step: 4096 })).toThrow(/exceeded/);
    });

    it('bytes while no request waits for an answer', () => {
      const parser = new ResponseParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
      expect(() => parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/no request was waiting/);
    });
  });

  it('reads the next response on the same connection once armed again', () => {
    const ends: boolean[] = [];
    let body = '';
    const parser = new ResponseParser({ onHead: () => undefined, onBody: (c) => (body += c.toString()), onEnd: (r) => ends.push(r) });
    for (const text of ['one', 'two']) {
      parser.expect(false);
      parser.execute(Buffer.from(head(['HTTP/1.1 200 OK', 'Content-Length: 3']) + text));
    }
    expect(body).toBe('onetwo');
    expect(ends).toEqual([true, true]);
  });

  describe('reset by the body’s reader (its exchange abandoned)', () => {
    const cases: Array<[string, string]> = [
      ['a fixed-length body, at its last byte', head(['HTTP/1.1 200 OK', 'Content-Length: 2']) + 'ok'],
      ['a chunked body, mid-body', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '1\r\na\r\n1\r\nb\r\n0\r\n\r\n'],
    ];
    for (const [name, wire] of cases) {
      it(`stops at once for ${name}, and reports no end`, () => {
        const events: string[] = [];
        const parser = new ResponseParser({ onHead: () => events.push('head'), onBody: () => (events.push('body'), parser.reset()), onEnd: () => events.push('end') });
        parser.expect(false);
        parser.execute(Buffer.from(wire));
        expect(events).toEqual(['head', 'body']);
      });
    }
  });

  it('answers any mangling of valid replies with a response or a ResponseParseError, nothing else (seeded fuzz)', () => {
    // mulberry32: the same 3,000 cases on every run.
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const valid = [
      head(['HTTP/1.1 200 OK', 'Content-Length: 11']) + '{"ok":true}',
      head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + '5\r\nhello\r\n0\r\n\r\n',
      head(['HTTP/1.1 100 Continue']) + head(['HTTP/1.1 204 No Content']),
    ];
    const alphabet = '\r\n:;0123456789abcdefxHTP/ \t\0,';
    let parsed = 0;
    for (let i = 0; i < 3_000; i++) {
      const bytes = [...(valid[i % valid.length] as string)];
      for (let edits = 1 + Math.floor(random() * 4); edits > 0; edits--) {
        const at = Math.floor(random() * bytes.length);
        const ch = alphabet[Math.floor(random() * alphabet.length)] as string;
        const op = random();
        if (op < 0.4) bytes[at] = ch;
        else if (op < 0.7) bytes.splice(at, 0, ch);
        else bytes.splice(at, 1);
      }
      try {
        parse(bytes.join(''), { step: 1 + Math.floor(random() * 8), eof: true });
        parsed += 1;
      } catch (err) {
        expect(err).toBeInstanceOf(ResponseParseError);
      }
    }
    // Some manglings still frame a valid reply (a changed reason phrase, a changed body byte).
    expect(parsed).toBeGreaterThan(0);
  });
});
