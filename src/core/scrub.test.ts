import { describe, expect, it } from 'vitest';
import { registerSecret, safeParam, scrub, scrubUpstreamText } from './scrub.js';

describe('scrub', () => {
  it('removes configured secret values wherever they appear, URL-encoded ones too', () => {
    registerSecret('my config value/with+chars');
    expect(scrub('key was my config value/with+chars; again: my%20config%20value%2Fwith%2Bchars')).toBe('key was [redacted]; again: [redacted]');
  });

  it('removes configured secret values in any letter case: upstreams fold case when they quote', () => {
    registerSecret('UpstreamKeyOai9876543210');
    expect(scrub('unknown key upstreamkeyoai9876543210 or UPSTREAMKEYOAI9876543210')).toBe('unknown key [redacted] or [redacted]');
  });

  it('removes the whole of a secret that another one starts or overlaps, registered in either order', () => {
    registerSecret('demo-key-prefixed');
    registerSecret('demo-key-prefixed-longer');
    registerSecret('overlap-secret-12');
    registerSecret('12-tail-of-overlap');
    expect(scrub('the key demo-key-prefixed-longer is bad, demo-key-prefixed too')).toBe('the key [redacted] is bad, [redacted] too');
    expect(scrub('DEMO-KEY-PREFIXED-LONGER and demo%2Dkey%2Dprefixed%2Dlonger')).toBe('[redacted] and [redacted]');
    expect(scrub('joined overlap-secret-12-tail-of-overlap here')).toBe('joined [redacted] here');
  });

  describe('a configured secret echoed encoded (the review: an upstream quoting CAPTURE-SECRET-123 as base64 and hex)', () => {
    const secret = 'CAPTURE-SECRET-123';
    registerSecret(secret);
    const base64 = (text: string) => Buffer.from(text).toString('base64');

    it('removes it as bare base64, standard and URL-safe, and as hex in either case', () => {
      const hex = Buffer.from(secret).toString('hex');
      expect(scrubUpstreamText(`proxy saw Authorization: Basic ${base64(`u:${secret}`)}; token echo ${base64(secret)}; hex ${hex}`)).toBe('proxy saw Authorization: Basic [redacted]; token echo [redacted]; hex [redacted]');
      expect(scrub(`upper ${hex.toUpperCase()}`)).toBe('upper [redacted]');
      // A secret whose base64 holds + and /, which the URL-safe alphabet writes - and _ (18 bytes: no partial character).
      const binaryish = 'pass>>>???~~~word!';
      registerSecret(binaryish);
      expect(Buffer.from(binaryish).toString('base64')).toMatch(/[+/]/);
      expect(scrub(`${Buffer.from(binaryish).toString('base64')} and ${Buffer.from(binaryish).toString('base64url')}`)).toBe('[redacted] and [redacted]');
    });

    it('removes it inside the base64 of a longer text, at each of the three byte alignments, leaving only characters a neighbour shares', () => {
      // Shorter than 40 characters, so no opaque-run pattern takes the whole.
      for (const before of ['', 'x:', 'k=', 'xy:', 'key=']) {
        const encoded = base64(`${before}${secret}.`);
        const shown = scrub(`header ${encoded} refused`);
        expect(shown, before).toMatch(/^header \S{0,6}\[redacted\]\S{0,4} refused$/);
      }
    });

    it('removes it written with look-alikes: Unicode hyphens and dashes, full-width letters and digits', () => {
      expect(scrub('key CAPTURE\u2010SECRET\u2011123 or CAPTURE\u2013SECRET\u2212123 refused')).toBe('key [redacted] or [redacted] refused');
      expect(scrub('key \uFF23\uFF21\uFF30\uFF34\uFF35\uFF32\uFF25\uFF0D\uFF33\uFF25\uFF23\uFF32\uFF25\uFF34\uFF0D\uFF11\uFF12\uFF13 refused')).toBe('key [redacted] refused');
      // Text outside ASCII that hides no secret stays as written.
      expect(scrub('café – ﬁle ＡＢＣ not found')).toBe('café – ﬁle ＡＢＣ not found');
    });

    it('removes it written with Cyrillic and Greek look-alikes of Latin letters and digits, which NFKC leaves as they are', () => {
      // Cyrillic С А Р Т Е З (a 3), Greek Α Τ Ε Ρ.
      expect(scrub('Ключ САРТURЕ-SЕСRЕТ-12З недействителен')).toBe('Ключ [redacted] недействителен');
      expect(scrub('key CΑPΤURΕ-SΕCRΕΤ-123 refused; Σφάλμα: ΡΑSSCΑPTURE-SECRET-123')).toBe('key [redacted] refused; Σφάλμα: ΡΑSS[redacted]');
      registerSecret('pass-phrase-soap-tax-2024');
      // Cyrillic р а ѕ һ е о х in a secret written in small letters.
      expect(scrub('bad раѕѕ-рһrаѕе-ѕоар-tах-2024 here')).toBe('bad [redacted] here');
    });

    it('replaces a look-alike secret where it was written: the text around it is shown as written, not folded', () => {
      // Ligatures and squared units before it fold to more characters than they are; after it, fewer.
      expect(scrub('ﬃx ㎏ ＣＡＰＴＵＲＥ－ＳＥＣＲＥＴ－１２３ ﬁle')).toBe('ﬃx ㎏ [redacted] ﬁle');
      expect(scrub('café Ключ: САРТURЕ‐SЕСRЕТ−123 — ещё раз')).toBe('café Ключ: [redacted] — ещё раз');
    });

    it('removes it as hex pairs apart: colons, spaces or dashes between them, in either case, across a dump\'s line breaks', () => {
      const pairs = Buffer.from(secret).toString('hex').match(/../g) ?? [];
      expect(scrub(`sent ${pairs.join(':')} and ${pairs.join(' ').toUpperCase()} and ${pairs.join('-')}`)).toBe('sent [redacted] and [redacted] and [redacted]');
      expect(scrub(`Modulus:\n    ${pairs.slice(0, 9).join(':')}:\n    ${pairs.slice(9).join(':')}\n`)).toBe('Modulus:\n    [redacted]\n');
      // Inside the hex of a longer text.
      const around = Buffer.from(`user:${secret}!`).toString('hex').match(/../g) ?? [];
      expect(scrub(around.join(':'))).toBe('75:73:65:72:3a:[redacted]:21');
    });

    it('removes it inside base64 cut into lines where a break splits it: MIME\'s 76 columns with CRLF, PEM\'s 64 in a JSON string', () => {
      // The full line falls to the long-run pattern; the short last line held the secret's tail.
      const mime = base64(`${'x'.repeat(50)}${secret}`);
      expect(scrub(`part: ${mime.slice(0, 76)}\r\n${mime.slice(76)}\r\n--boundary`)).toBe('part: [redacted][redacted]M=\n--boundary');
      const pem = base64(`${'k'.repeat(40)}${secret}zzzzz`);
      const body = JSON.stringify({ error: { message: 'bad key file', blob: `${pem.slice(0, 64)}\n${pem.slice(64)}` } });
      expect(scrub(body)).toBe('{"error":{"message":"bad key file","blob":"[redacted][redacted]3p6enp6"}}');
    });

    it('removes it inside base64 lines quoted from the middle of a body, where the first line is cut short', () => {
      // A MIME body quoted from its 64th character: a first line of 12, the secret's first 9 characters on it.
      const mime = base64(`${'x'.repeat(50)}${secret}${'z'.repeat(100)}`);
      expect(scrub(`part: ${mime.slice(64, 76)}\r\n${mime.slice(76, 152)}\r\n${mime.slice(152)}`)).toBe('part: eHh[redacted][redacted]\n[redacted]');
    });

    it('removes it as hex with a prefix on each byte: a C array, escapes (in a JSON string too), a list of strings', () => {
      const bytes = Buffer.from(secret).toString('hex').match(/../g) ?? [];
      expect(scrub(`key bytes {${bytes.map((b) => `0x${b}`).join(', ')}}`)).toBe('key bytes {[redacted]}');
      expect(scrub(`sent "${bytes.map((b) => `\\x${b}`).join('')}"`)).toBe('sent "[redacted]"');
      expect(scrub(JSON.stringify({ detail: `b'${bytes.map((b) => `\\x${b}`).join('')}'` }))).toBe(`{"detail":"b'[redacted]'"}`);
      expect(scrub(`['${bytes.map((b) => `0X${b.toUpperCase()}`).join("', '")}']`)).toBe("['[redacted]']");
    });

    it('removes its hex wrapped across lines, where a break falls inside a byte too', () => {
      const hex = Buffer.from(`xx ${secret}`).toString('hex');
      expect(scrub(`dump ${hex.slice(0, 19)}\n${hex.slice(19)}`)).toBe('dump 787820[redacted]');
      expect(scrub(`dump ${hex.slice(0, 20)}\n  ${hex.slice(20)}`)).toBe('dump 787820[redacted]');
    });

    it('removes it as hex in groups of two bytes (xxd), whichever byte of a group it starts at', () => {
      const groups = (text: string): string => (Buffer.from(text).toString('hex').match(/.{1,4}/g) ?? []).join(' ');
      expect(scrub(`hex: ${groups(secret)}`)).toBe('hex: [redacted]');
      expect(scrub(`hex: ${groups(`=${secret}!`)}`)).toBe('hex: 3d[redacted]21');
    });
  });

  describe('a configured secret in a hex dump with offsets and a text column, where lines cut it (security review)', () => {
    const secret = 'sk-ant-api03-Zq7Rt2Lm9XvB4nKp8WcD3yHf6JsG1aTe5UoQ0iPx';
    registerSecret(secret);
    const shown = (bytes: Buffer): string => Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    const lines = (bytes: Buffer): Buffer[] => Array.from({ length: Math.ceil(bytes.length / 16) }, (_, i) => bytes.subarray(16 * i, 16 * i + 16));
    const offset = (i: number, n = 16): string => (i * n).toString(16).padStart(8, '0');
    /** What `hexdump -C` prints. */
    const hexdumpC = (text: string): string => {
      const bytes = Buffer.from(text);
      const rows = lines(bytes).map((line, i) => {
        const hex = Array.from({ length: 16 }, (_, k) => (k < line.length ? `${line[k]?.toString(16).padStart(2, '0')} ` : '   ') + (k === 7 ? ' ' : '')).join('');
        return `${offset(i)}  ${hex} |${shown(line)}|`;
      });
      return [...rows, bytes.length.toString(16).padStart(8, '0')].join('\n');
    };
    /** What `xxd` prints. */
    const xxd = (text: string): string =>
      lines(Buffer.from(text))
        .map((line, i) => `${offset(i)}: ${(line.toString('hex').match(/.{1,4}/g) ?? []).join(' ').padEnd(39)}  ${shown(line)}`)
        .join('\n');
    const secretHex = Buffer.from(secret).toString('hex');

    it('removes its bytes and the whole text column of every line holding any of them (hexdump -C)', () => {
      expect(scrub(hexdumpC(`{"error":"bad key ${secret} given"}`))).toBe(
        [
          '00000000  7b 22 65 72 72 6f 72 22  3a 22 62 61 64 20 6b 65  |{"error":"bad ke|',
          '00000010  79 20 [redacted]  [redacted]',
          '00000020  [redacted]  [redacted]',
          '00000030  [redacted]  [redacted]',
          '00000040  [redacted] 20  67 69 76 65 6e 22 7d     [redacted]',
          '0000004f',
        ].join('\n'),
      );
    });

    it('removes its bytes and the whole text column of every line holding any of them (xxd)', () => {
      expect(scrub(xxd(`{"error":"bad key ${secret} given"}`))).toBe(
        [
          '00000000: 7b22 6572 726f 7222 3a22 6261 6420 6b65  {"error":"bad ke',
          '00000010: 7920 [redacted]  [redacted]',
          '00000020: [redacted]  [redacted]',
          '00000030: [redacted]  [redacted]',
          '00000040: [redacted]20 6769 7665 6e22 7d    [redacted]',
        ].join('\n'),
      );
    });

    it('leaves no part of it, wherever on a line it starts, in either dump, written as it is or inside a JSON string', () => {
      for (let before = 0; before < 17; before++) {
        for (const dump of [hexdumpC, xxd]) {
          const text = dump(`${'='.repeat(before)}${secret}!`);
          for (const quoted of [text, JSON.stringify({ detail: text })]) {
            const out = scrub(quoted);
            const hexLeft = out.replace(/(?:^|\\n|\n)[0-9a-f]{8}:?|\|[^|]*\|| {2}\S.*?(?=\\n|\n|$)|[^0-9a-f]/gm, '');
            for (let k = 0; k + 4 <= secret.length; k++) {
              expect(out, `${before} ${quoted}`).not.toContain(secret.slice(k, k + 4));
              expect(hexLeft, `${before} ${quoted}`).not.toContain(secretHex.slice(2 * k, 2 * k + 8));
            }
          }
        }
      }
    });

    it('keeps a dump that holds no secret as it is: ordinary text, the first bytes of a secret', () => {
      for (const text of ['{"error":{"type":"invalid_request_error","message":"max_tokens: 4096 > 2048"}}', `key prefix ${secret.slice(0, 24)} only`]) {
        for (const dump of [hexdumpC(text), xxd(text)]) expect(scrub(dump)).toBe(dump);
      }
    });
  });

  it('keeps ordinary text as it is, prose in Latin, Cyrillic and Greek letters included, with secrets registered', () => {
    for (const value of ['sk-proj-Zx81kQ2mVb7Lr0TnWc5YpD3s', 'p4ss-w0rd-for-the-redis-cluster', 'my config value/with+chars', 'CAPTURE-SECRET-123', 'секретный-ключ-2024']) registerSecret(value);
    const texts = [
      'The model could not process the request because the prompt was too long. Please shorten it and retry.',
      '{"error":{"type":"invalid_request_error","message":"max_tokens: 4096 > 2048","param":"max_tokens"},"request_id":"4f1c2a9e-1b2c-4d5e-8f90-123456789abc"}',
      'Ошибка: превышена максимальная длина контекста. Сократите запрос и повторите попытку позже.',
      'Σφάλμα: το αίτημα απορρίφθηκε επειδή το κείμενο ήταν πολύ μεγάλο. Δοκιμάστε ξανά αργότερα.',
      'SHA256 fingerprint 9f:86:d0:81:88:4c:7d:65:9a:2f:ea:a0:c5:5a:d0:15:a3:bf:4f:1b:2b:0b:82:2c:d1:5d:6c:15:b0:f0:0a:08',
      'be ad de fa ce ab ba 12 34 56 78 9a bc de f0 ca fe',
      'Traceback (most recent call last):\n  File "server.py", line 12, in handleCompletionRequest\n    raise ValueError("bad input")',
    ];
    for (const text of texts) expect(scrub(text)).toBe(text);
  });

  it('keeps hex and base64 that hold no secret: colour codes, UUIDs, git SHAs, the hex of a secret\'s first bytes, an image in base64 lines', () => {
    registerSecret('sk-proj-Zx81kQ2mVb7Lr0TnWc5YpD3s');
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const texts = [
      'palette: #736b2d, #70726f, #6a2d5a; color: #FF00AA; background: #0a0b0c',
      // The second's bytes are the secret's first 16 (`sk-proj-Zx81kQ2m`), not all of it.
      'ids 4f1c2a9e-1b2c-4d5e-8f90-123456789abc and 736b2d70-726f-6a2d-5a78-38316b51326d',
      'commit 9fceb02 (HEAD -> main), parents 6a2d5a7 and 736b2d70726f6a2d',
      'prefix 73 6b 2d 70 72 6f 6a 2d 5a 78, in C {0x73, 0x6b, 0x2d, 0x70, 0x72}',
      `icon: ${png.slice(0, 10)}\n${png.slice(10, 42)}\n${png.slice(42, 74)}\n${png.slice(74)}`,
    ];
    for (const text of texts) expect(scrub(text)).toBe(text);
  });

  it('leaves short configured values alone: they are too likely to be ordinary words', () => {
    registerSecret('model');
    expect(scrub('unknown model')).toBe('unknown model');
  });

  it.each([
    ['a bearer token', 'Authorization: Bearer abc.def-ghi_123', 'Authorization: Bearer [redacted]'],
    ['a bearer token after a colon', 'sent Bearer: opaque0123tok and bearer=opaque4567tok', 'sent Bearer: [redacted] and bearer=[redacted]'],
    ['a basic credential', 'Authorization: Basic dXNlcjpwYXNzd29yZA== was refused', 'Authorization: Basic [redacted] was refused'],
    ['a bearer token in prose', 'the token Bearer abcdefgh is expired', 'the token Bearer [redacted] is expired'],
    ['a JWT', 'bad token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here', 'bad token [redacted] here'],
    ['a JWT after a dash', 'id-eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl', 'id-[redacted]'],
    ['an AWS access key id', 'The security token AKIAIOSFODNN7EXAMPLE is invalid', 'The security token [redacted] is invalid'],
    ['a temporary AWS key id', 'ASIAY34FZKBOKMUTVV7A expired', '[redacted] expired'],
    ['an OpenAI key', 'Incorrect API key provided: sk-proj-abcdef123456', 'Incorrect API key provided: [redacted]'],
    ['a masked key', 'Incorrect API key provided: sk-live-****abcd', 'Incorrect API key provided: [redacted]'],
    ['an Anthropic key', 'invalid x-api-key sk-ant-api03-xyzxyzxyz', 'invalid x-api-key [redacted]'],
    ['an api-key pair', 'header api-key=0123abcd was rejected', 'header api-key=[redacted] was rejected'],
    ['a JSON api_key field', '{"api_key": "hunter2hunter2"}', '{"api_key": "[redacted]"}'],
    ['an AWS session token', 'x-amz-security-token: IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD', 'x-amz-security-token: [redacted]'],
    ['a SigV4 credential', 'Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/bedrock/aws4_request', 'Credential=[redacted]'],
    ['a long opaque secret', 'secret is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok', 'secret is [redacted] ok'],
    ['a Google access token', 'token ya29.a0AfH6SMBx-abc_def was revoked', 'token [redacted] was revoked'],
    ['a URL password', 'could not reach https://user:hunter2pass@db.internal:5432/x', 'could not reach https://user:[redacted]@db.internal:5432/x'],
    // URL parsers read an unescaped @ as part of the user or password: the host follows the last one.
    ['a URL password holding an @', 'proxy https://user:p@ss-w0rd@db.internal/x@y failed', 'proxy https://user:[redacted]@db.internal/x@y failed'],
    ['a URL password after a user holding an @', 'proxy https://me@corp:hunter2pass@db.internal failed', 'proxy https://me@corp:[redacted]@db.internal failed'],
    ['a token alone as a URL\'s user info', 'clone https://a1B2c3D4e5F6g7H8i9J0@github.com/o/r.git failed', 'clone https://[redacted]@github.com/o/r.git failed'],
    ['a hex token as a URL\'s user info', 'git clone https://0f3c9a7e5b1d2c4a6e8f0b2d@git.example/r', 'git clone https://[redacted]@git.example/r'],
    ['a GitLab token as a URL\'s user info', 'remote: HTTP Basic: Access denied for https://glpat-Zx9_sxgtrfAxKr8q1TPY@gitlab.com/g/p.git', 'remote: HTTP Basic: Access denied for https://[redacted]@gitlab.com/g/p.git'],
    ['a GitLab runner token', 'runner glrt-t1_Fx2yZ3aB4cD5eF6gH7iJ8kL is not allowed', 'runner [redacted] is not allowed'],
    ['a GitHub token', 'bad credentials ghp_16C7e42F292c6912E7710c838347Ae178B4a given', 'bad credentials [redacted] given'],
    ['a fine-grained GitHub token', 'token github_pat_11ABCDEFG0123456789_abcdefghijklmnop', 'token [redacted]'],
    ['a Slack token', 'slack said invalid_auth for xoxb-123456789012-abcdefABCDEF', 'slack said invalid_auth for [redacted]'],
    ['a Hugging Face token', 'Invalid user token hf_abcdefghijklmnopqrstuvwxyzABCD.', 'Invalid user token [redacted].'],
    ['a Cookie header', 'sent Cookie: session=abc123def; csrftoken=xyz789 and was refused', 'sent Cookie: [redacted] and was refused'],
    ['a Set-Cookie header', 'Set-Cookie: __Host-sid=s%3AabcDEF123.xyz; Path=/; HttpOnly', 'Set-Cookie: [redacted]; HttpOnly'],
    ['a quoted cookie value', 'set-cookie: sid="abc123"; Secure', 'set-cookie: [redacted]; Secure'],
    ['a list of Set-Cookie headers', "{ 'set-cookie': [ 'sid=abc123; Path=/', 'csrf=xyz789; Path=/' ] }", "{ 'set-cookie': [ '[redacted]' ] }"],
    ['a JSON cookie header', '{"Cookie":"sid=abc123; theme=dark"}', '{"Cookie":"[redacted]"}'],
    // A SAS signature is 44 base64 characters; %2B and %2F cut it into runs the opaque-run net misses.
    [
      'an Azure SAS signature',
      'GET https://acct.blob.core.windows.net/c/b.png?sv=2022-11-02&sp=r&se=2030-01-01&sig=Xk3dQ9%2Bfj2Lm8%2FqR7sT1uV4wY6zA0bC3dE5fG7hI9k%3D&spr=https',
      'GET https://acct.blob.core.windows.net/c/b.png?sv=2022-11-02&sp=r&se=2030-01-01&sig=[redacted]&spr=https',
    ],
    [
      'an S3 presigned URL',
      'https://b.s3.amazonaws.com/k?X-Amz-Credential=ASIAY34FZKBOKMUTVV7A%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2F%2F&X-Amz-SignedHeaders=host&X-Amz-Signature=8c1f',
      'https://b.s3.amazonaws.com/k?X-Amz-Credential=[redacted]&X-Amz-Security-Token=[redacted]&X-Amz-SignedHeaders=host&X-Amz-Signature=[redacted]',
    ],
    ['a private key', 'key -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY----- end', 'key [redacted] end'],
    ['a private key cut short', 'key -----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBg', 'key [redacted]'],
  ])('removes %s', (_what, text, expected) => {
    expect(scrub(text)).toBe(expected);
  });

  it.each([
    ['a JWT', 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl refused', 'Authorization: Bearer [redacted] refused'],
    ['an OpenAI key', 'sent Bearer sk-proj-abcdef123456.', 'sent Bearer [redacted]'],
    ['a long opaque string', 'bearer: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'bearer: [redacted]'],
    ['an 8-letter token', 'token Bearer qwertyui rejected', 'token Bearer [redacted] rejected'],
    ['a Basic user:password', 'Authorization: Basic dXNlcjpwYXNz', 'Authorization: Basic [redacted]'],
    ['a short Basic user:password (a:b)', 'got Basic YTpi', 'got Basic [redacted]'],
    ['a Basic user:password without padding (ab:cd)', 'got Basic YWI6Y2Q', 'got Basic [redacted]'],
  ])('removes a credential after Bearer or Basic: %s', (_what, text, expected) => {
    expect(scrub(text)).toBe(expected);
  });

  it.each([
    ['Bearer tokens are not accepted here; use basic auth'],
    ['Basic tier quota exceeded'],
    ['HTTP Basic authentication is disabled: send a Bearer token, not Basic credentials.'],
    ['Bearer: required, Basic: unsupported'],
    ['expected Bearer or Basic scheme'],
    ['WWW-Authenticate: Basic realm="api"'],
  ])('keeps the word after a scheme named in prose: %j', (text) => {
    expect(scrub(text)).toBe(text);
  });

  it('takes a scheme named twice for prose and the credential after the second', () => {
    expect(scrub('Authorization: Bearer Bearer opaqueToken0123')).toBe('Authorization: Bearer Bearer [redacted]');
  });

  it.each([
    ['a URL quoted in a query', 'bad redirect_uri=https%3A%2F%2Fuser%3Ahunter2pass%40db.internal%2Fcb%3Fa%3D1 for app', 'bad redirect_uri=https://user:[redacted]@db.internal/cb?a=1 for app'],
    ['a URL quoted twice', 'next=https%253A%252F%252Fsvc%253Ahunter2pass%2540db.internal%252Fx', 'next=https://svc:[redacted]@db.internal/x'],
    ['a token as an encoded URL\'s user info', 'origin https%3A%2F%2Fa1B2c3D4e5F6g7H8i9J0%40github.com%2Fo%2Fr', 'origin https://[redacted]@github.com/o/r'],
    ['an encoded authorization header', 'header Authorization%3A%20Bearer%20opaqueTok0123 refused', 'header Authorization: Bearer [redacted] refused'],
    ['an encoded api key pair', 'q=model%3Dx%26api_key%3Dhunter2hunter2', 'q=model=x&api_key=[redacted]'],
  ])('removes a credential percent-encoding hid: %s, showing that text decoded', (_what, text, expected) => {
    expect(scrub(text)).toBe(expected);
  });

  it.each([
    ['a bearer token after a +', 'q=Bearer+opaqueTok0123&x=1', 'q=Bearer [redacted]&x=1'],
    ['a Basic credential after a +', 'auth=Basic+dXNlcjpwYXNzd29yZA%3D%3D', 'auth=Basic [redacted]'],
    ['a pair written with + around its =', 'data=client_secret+%3D+hunter2hunter2', 'data=client_secret = [redacted]'],
  ])('removes a credential form encoding hid (+ for a space): %s, showing that text decoded', (_what, text, expected) => {
    expect(scrub(text)).toBe(expected);
  });

  it('removes a configured secret holding spaces when it is form encoded', () => {
    registerSecret('form encoded secret/value');
    expect(scrub('body: q=form+encoded+secret%2Fvalue&x=1')).toBe('body: q=[redacted]&x=1');
  });

  it.each([
    ['client_secret%3Dabc%2Bdef+ghi', 'client_secret=[redacted]'],
    ['u=password%3Dcorrect+horse+battery%26x%3D1', 'u=password=[redacted]&x=1'],
  ])('removes all of a value a form space is inside, not its first word: %j', (text, expected) => {
    expect(scrub(text)).toBe(expected);
  });

  it('keeps text with a + that hides no credential as it is', () => {
    const text = 'C++ is not a model; 1+1=2 at 2024-01-01T00:00:00+00:00, q=a+b%20c';
    expect(scrub(text)).toBe(text);
  });

  it('keeps percent-encoded text that hides no credential in its encoded form, bytes that are no UTF-8 included', () => {
    const text = 'no file at /v1/files/a%20b%2Fc%FF%E2%82 (see https%3A%2F%2Fexample.com%2Fdocs)';
    expect(scrub(text)).toBe(text);
  });

  it('keeps a URL without a password as it is: a port, an @ in its path, a user name or a mailto address is none', () => {
    const text =
      'see https://api.example.com:443/v1/models@latest and mailto:a@b, or https://a@b.example:8080/x, ssh://git@github.com/o/r, https://svc-deploy-2024-runner@git.example/r, mailto:first.last2024@example.com';
    expect(scrub(text)).toBe(text);
  });

  it('keeps prose that only names credentials, a URL with only a host, and an email address', () => {
    const text = 'authorization failed: see our cookie policy (Cookie: required) at https://example.com, a signature mismatch, or write to user@example.com';
    expect(scrub(text)).toBe(text);
  });

  it('keeps ordinary error messages as they are', () => {
    const text = 'messages.0.content: Input should be a valid list; model us.anthropic.claude-3-5-haiku-20241022-v1:0 (request 4f1c2a9e-1b2c-4d5e-8f90-123456789abc)';
    expect(scrub(text)).toBe(text);
  });

  it('scrubs before shortening, so a secret cut in half cannot survive', () => {
    registerSecret('0123456789-private-value-abcdef');
    const text = `${'x'.repeat(490)} 0123456789-private-value-abcdef ${'y'.repeat(100)}`;
    const kept = scrubUpstreamText(text) ?? '';
    expect(kept).not.toContain('0123456789');
    expect(kept.length).toBeLessThanOrEqual(501);
    expect(scrubUpstreamText('   ')).toBeUndefined();
  });

  it('drops C0 and C1 control characters (tab and line feed kept): a client or a log shown the text gets no escape sequences', () => {
    const text = 'bad\u0000 input\r\n\tat line 2\u001b[2J\u0007\u007f\u0085\u009b31m done';
    expect(scrubUpstreamText(text)).toBe('bad input\n\tat line 2[2J31m done');
    // Also when they would hide a credential from the patterns by splitting it.
    expect(scrubUpstreamText('key sk-proj-\u0000abcdef0123456789')).toBe('key [redacted]');
    expect(scrubUpstreamText('\u0000\u0001\u0002')).toBeUndefined();
  });

  it.each([
    ['a zero-width space', '\u200B'],
    ['a zero-width non-joiner', '\u200C'],
    ['a zero-width joiner', '\u200D'],
    ['a word joiner', '\u2060'],
    ['a byte order mark', '\uFEFF'],
    ['a soft hyphen', '\u00AD'],
    ['a right-to-left mark', '\u200F'],
    ['a variation selector', '\uFE0F'],
    ['a tag character', '\u{E0041}'],
  ])('drops %s, which a reader does not see, so none inside a credential hides it from the patterns', (_what, hidden) => {
    expect(scrubUpstreamText(`key sk-proj-abc${hidden}def0123456789 ok`)).toBe('key [redacted] ok');
    expect(scrub(`id AKIA${hidden}IOSFODNN7EXAMPLE, Bearer ${hidden}opaque${hidden}Token0123`)).toBe('id [redacted], Bearer [redacted]');
    expect(scrub(`no${hidden} secret here`)).toBe('no secret here');
  });

  it('drops control characters in text scrubbed for a log too', () => {
    expect(scrub('key AKIA\u0000IOSFODNN7EXAMPLE\r\n\tat line 2')).toBe('key [redacted]\n\tat line 2');
  });
});

describe('scrub on adversarial text', () => {
  // Runs of what a pattern starts with but never completes: a pattern that started again inside each
  // would scan the rest every time (seconds for 100 KB, per logged line).
  const UNITS = ['a.', 'a-', 'eyJ-', 'eyJaaaa.', 'AIza-', 'https://a:', 'x://', '-----BEGIN A ', 'AKIA', 'sk-', 'api_key=', 'Bearer ', 'Cookie: a-cookie:', 'cookie: a=b;', "cookie: ['a=b', ", 'https://a1B2c3D4e5F6g7H8', 'glpat-', '%41', '%41 ', '%FF ', '%3A%2F%2Fa%40', 'Bearer:', `${'a'.repeat(39)}!`, 'a+', 'Bearer+', '%41+', 'x+%3D+', 'ab:', 'ab:ab:ab:ab:ab:ab:ab ', `${'A'.repeat(16)}\n`, `${'A'.repeat(15)}\n`, `${'A'.repeat(16)}\\n`, 'Сa-', 'ﬁ—', '736b2d ', '\\x43\\x41\\x50', '0x43, 0x41, 0x50, ', '4341 5054 ', `43${' '.repeat(31)}`, `A\n${'A'.repeat(16)}\n`, '\n00000000  43 41 50 |', '00000000: 4341 50  '];
  const fill = (unit: string, length: number): string => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  /**
   * Linear work on 32x the text takes ~1x the time of 32 scrubs of the small text, quadratic work ~32x.
   * V8 may run a pattern on its slower linear-time engine once it backtracked too much on the large
   * text and not yet on the small one: ~7x for "eyJ-" on an AMD EPYC VM, still linear (the same at 8x
   * and 32x the text), so the limit sits between that and quadratic.
   */
  const GROWTH_LIMIT = 16;

  const timeOf = (work: () => void): number => {
    const started = performance.now();
    work();
    return performance.now() - started;
  };

  /**
   * One scrub of `large` (32x `small`) over 32 scrubs of `small`: the same text, so a busy machine
   * slows both alike and the ratio says how the work grows, not how fast the machine is. Each is timed
   * in its own run of rounds, best of up to ten (V8 compiles a pattern after its first runs; a GC pause
   * may land in any run), fewer once half a second has gone on it, as a quadratic pattern's take
   * seconds each.
   */
  const bestOf = (text: string, times: number): number => {
    scrub(text);
    let best = Infinity;
    let spent = 0;
    for (let round = 0; round < 10 && spent < 500; round++) {
      const ms = timeOf(() => {
        for (let i = 0; i < times; i++) scrub(text);
      });
      best = Math.min(best, ms);
      spent += ms;
    }
    return best;
  };
  const growth = (small: string, large: string): number => bestOf(large, 1) / bestOf(small, 32);

  it.each(UNITS)('scrubs 100 KB of %j in time linear in its length (32x the text, under 16x the time of 32 scrubs of 3.125 KB)', (unit) => {
    // A wall-clock budget failed on a loaded CI machine; a quadratic pattern gives ~32 here on any machine.
    expect(growth(fill(unit, 3_125), fill(unit, 100_000))).toBeLessThan(GROWTH_LIMIT);
  });
});

describe('safeParam', () => {
  it('takes a parameter path and refuses free text or anything credential-like', () => {
    expect(safeParam('messages[0].content')).toBe('messages[0].content');
    expect(safeParam('generation_config.temperature')).toBe('generation_config.temperature');
    expect(safeParam('see the docs')).toBeUndefined();
    expect(safeParam('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBeUndefined();
    expect(safeParam(42)).toBeUndefined();
  });
});
