import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEMO_CONFIG_KEY, literalSecrets, loadConfigFile, parseConfig, parseConfigText } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));

const minimal = {
  deployments: [{ id: 'a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
};

function problemsOf(raw: unknown, env: Record<string, string> = {}): string[] {
  const r = parseConfig(raw, env);
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

function yamlErrorOf(text: string): ConfigError {
  try {
    parseConfigText(text, 'switchyard.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('accepts a minimal config and fills defaults', () => {
    const r = parseConfig(minimal, {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.server.port).toBe(4000);
    expect(r.config.logging.upstream_error_text).toBe(false);
    expect(r.config.deployments[0]?.tags).toEqual([]);
  });

  it('names an unknown provider with its path and the known ones', () => {
    const problems = problemsOf({ deployments: [{ id: 'a', provider: 'bedrok', model: 'm' }] });
    expect(problems).toEqual([expect.stringMatching(/^deployments\[0\]\.provider: unknown provider "bedrok"; expected one of .*openai-compatible/)]);
  });

  it('lists every problem at once, each with its path, cross-references included', () => {
    const problems = problemsOf({
      server: { port: 'eighty' },
      deployments: [{ id: 'a', provider: 'openai-compatible' }, { id: 'b', provider: 'openai-compatible', model: 'm' }, { id: 'b', provider: 'openai-compatible', model: 'm' }],
      groups: [{ name: 'g', deployments: ['missing', 'a'] }],
      default_group: 'nope',
      surprise: true,
    });
    expect(problems).toEqual([
      'server.port: expected a number, got the text "eighty"',
      expect.stringMatching(/^deployments\[0\]\.model: required: the model id the provider knows, e\.g\. gpt-4o-mini/),
      expect.stringMatching(/^\(root\): unknown key "surprise"; expected one of server, logging/),
      // The cross-reference checks run on what parsed, at the user's indices; "a" is not also called unknown.
      'deployments[2].id: duplicate deployment id "b" (first at deployments[1])',
      'groups[0].deployments[0]: unknown deployment "missing"; known: b',
      'default_group: unknown group "nope"',
    ]);
  });

  it('reports a bad strategy, an unknown provider, an unknown member and missing provider fields in one run', () => {
    const problems = problemsOf({
      deployments: [
        { id: 'br', provider: 'bedrock', model: 'anthropic.claude-3-5-haiku-20241022-v1:0' },
        { id: 'vx', provider: 'vertex', model: 'gemini-2.5-flash', region: 'europe-west4' },
        { id: 'x', provider: 'bedrok', model: 'm' },
      ],
      groups: [{ name: 'chat', strategy: 'fastest', deployments: ['br', 'nope'] }],
    });
    expect(problems).toEqual([
      'groups[0].strategy: expected one of "priority", "round-robin", "weighted", "random", "least-latency", "least-busy", "cost-optimized"; got the text "fastest"',
      'groups[0].deployments[1]: unknown deployment "nope"; known: br, vx, x',
      'deployments[0].region: required: the AWS region, e.g. us-east-1',
      'deployments[1].project: required: the GCP project id, e.g. my-project',
      expect.stringMatching(/^deployments\[2\]\.provider: unknown provider "bedrok"; expected one of /),
    ]);
  });

  it('says what a misspelt key probably meant', () => {
    expect(problemsOf({ ...minimal, groups: [{ name: 'g', deployments: ['a'], stratgy: 'priority' }] })).toEqual(['groups[0]: unknown key "stratgy"; did you mean "strategy"?']);
  });

  it('checks the provider options of a deployment whose common fields are also wrong', () => {
    expect(problemsOf({ deployments: [{ id: 'b', provider: 'bedrock', model: 'm', tags: 'eu' }] })).toEqual([
      'deployments[0].tags: expected a list, got the text "eu"',
      'deployments[0].region: required: the AWS region, e.g. us-east-1',
    ]);
    expect(problemsOf({ deployments: [{ id: 'b', provider: 'bedrock', context_window: 0 }] })).toEqual([
      expect.stringMatching(/^deployments\[0\]\.model: required: /),
      'deployments[0].context_window: must be greater than 0',
      'deployments[0].region: required: the AWS region, e.g. us-east-1',
    ]);
  });

  it('refuses a headers timeout longer than the whole-request timeout, by path', () => {
    expect(problemsOf({ ...minimal, server: { headers_timeout_ms: 40_000, body_timeout_ms: 30_000 } })).toEqual([
      'server.headers_timeout_ms: must not exceed body_timeout_ms (the headers are part of the request)',
    ]);
  });

  it('refuses a deployment header that could split the upstream request, or that frames it, by path', () => {
    const headers = { 'x-ok': 'fine', 'x-split': 'v\r\nx-injected: 1', 'bad name': 'v', 'Transfer-Encoding': 'chunked' };
    expect(problemsOf({ deployments: [{ ...minimal.deployments[0], headers }] })).toEqual([
      'deployments[0].headers.x-split: the header has a character a header value cannot carry (control characters, CR/LF, non-ASCII)',
      'deployments[0].headers.bad name: the header is not a valid header name',
      'deployments[0].headers.Transfer-Encoding: the header frames the request or the connection, which the upstream client sets itself',
    ]);
  });

  it("reports an API key or the keys' HMAC secret whose variable is unset by path, like any secret (it crashed the check)", () => {
    const raw = { ...minimal, api_keys: [{ id: 'k', key: '${SWITCHYARD_API_KEY}' }], keys: { hmac_secret: '${KEY_SECRET}' } };
    expect(problemsOf(raw).sort()).toEqual(['api_keys[0].key: environment variable SWITCHYARD_API_KEY is not set', 'keys.hmac_secret: environment variable KEY_SECRET is not set']);
  });

  it('says a variable that is set but empty is empty, not unset (an empty Kubernetes Secret), unless its reference gives a default', () => {
    const raw = { ...minimal, api_keys: [{ id: 'k', key: '${SWITCHYARD_API_KEY}' }, { id: 'd', key: '${FALLBACK_KEY:-sk-default-000000}' }] };
    expect(problemsOf(raw, { SWITCHYARD_API_KEY: '', FALLBACK_KEY: '' })).toEqual(['api_keys[0].key: environment variable SWITCHYARD_API_KEY is set but empty']);
  });

  it('reports a misspelt deployment key, of every deployment or of its provider, with what was meant', () => {
    const problems = problemsOf({
      deployments: [
        { id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1', api_kye: 'sk-x' },
        { id: 'b', provider: 'bedrock', model: 'm', region: 'us-east-1', cache_sytem_prompt: true },
        { id: 'c', provider: 'vertex', model: 'gemini-2.5-flash', project: 'p', location: 'us-central1', credentials_fle: '/x' },
      ],
    });
    expect(problems).toEqual([
      'deployments[0]: unknown key "api_kye"; did you mean "api_key"?',
      'deployments[1]: unknown key "cache_sytem_prompt"; did you mean "cache_system_prompt"?',
      'deployments[2]: unknown key "credentials_fle"; did you mean "credentials_file"?',
    ]);
  });

  it('names a misspelt deployment key that left a required one missing, next to the missing one', () => {
    const problems = problemsOf({
      deployments: [
        { id: 'a', provider: 'bedrock', model: 'm', regoin: 'us-east-1' },
        { id: 'b', provder: 'bedrock', model: 'm', region: 'us-east-1' },
        { id: 'c', provider: 'bedrok', model: 'm', region: 'us-east-1', cache_sytem_prompt: true },
      ],
    });
    expect(problems.sort()).toEqual([
      'deployments[0].region: required: the AWS region, e.g. us-east-1',
      'deployments[0]: unknown key "regoin"; did you mean "region"?',
      expect.stringMatching(/^deployments\[1\]\.provider: required: /),
      'deployments[1]: unknown key "provder"; did you mean "provider"?',
      expect.stringMatching(/^deployments\[2\]\.provider: unknown provider "bedrok"; expected one of /),
      'deployments[2]: unknown key "cache_sytem_prompt"; did you mean "cache_system_prompt"?',
    ]);
  });

  it('validates provider-specific options under the deployment path', () => {
    const problems = problemsOf({ deployments: [{ id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'ftp://x' }] });
    expect(problems.join('\n')).toContain('deployments[0].endpoint: expected an http(s) URL');
  });

  it('interpolates ${ENV} references and reports a missing variable by path without a value', () => {
    const raw = { deployments: [{ ...minimal.deployments[0], api_key: '${OPENAI_KEY}' }] };
    const ok = parseConfig(raw, { OPENAI_KEY: 'sk-live-123' });
    expect(ok.ok && ok.config.deployments[0]?.api_key?.reveal()).toBe('sk-live-123');
    expect(problemsOf(raw)).toEqual(['deployments[0].api_key: environment variable OPENAI_KEY is not set']);
    const withDefault = parseConfig({ ...minimal, server: { host: '${HOST:-0.0.0.0}', allow_unauthenticated: true } }, {});
    expect(withDefault.ok && withDefault.config.server.host).toBe('0.0.0.0');
  });

  it('refuses a "${" that starts no reference rather than take the text as the secret itself, naming the path and quoting nothing', () => {
    const env = { OPENAI_KEY: 'sk-live-1234567890' };
    const problems = problemsOf(
      {
        api_keys: [
          { id: 'unclosed', key: '${OPENAI_KEY' },
          { id: 'nested', key: '${CLIENT_KEY:-${OPENAI_KEY}}' },
          { id: 'bad-name', key: 'pre-${1KEY}' },
        ],
        deployments: [{ ...minimal.deployments[0], api_key: '${OPENAI_KEY}${' }],
      },
      env,
    );
    const unclosed = 'a "${" starts no ${NAME} or ${NAME:-default} reference (an unclosed brace, or a NAME other than letters, digits and _ not starting with a digit; write $${ for a literal ${)';
    expect(problems).toEqual([
      `api_keys[0].key: ${unclosed}`,
      'api_keys[1].key: a ${NAME:-default} default holds another ${...}: defaults do not nest (write the default itself, or set the variable)',
      `api_keys[2].key: ${unclosed}`,
      `deployments[0].api_key: ${unclosed}`,
    ]);
    expect(problems.join('\n')).not.toContain('1234567890');
    // A default that is plain text, and text around references, are still filled in.
    const ok = parseConfig({ deployments: [{ ...minimal.deployments[0], api_key: 'Bearer ${OPENAI_KEY}', endpoint: '${BASE:-http://127.0.0.1:9/v1}' }] }, env);
    expect(ok.ok && [ok.config.deployments[0]?.api_key?.reveal(), ok.config.deployments[0]?.endpoint]).toEqual(['Bearer sk-live-1234567890', 'http://127.0.0.1:9/v1']);
  });

  it('writes $${ as a literal ${, beside references and never starting one', () => {
    const env = { OPENAI_KEY: 'sk-live-1234567890' };
    const prompt = 'Answer with $${1} or $${name} placeholders, for ${OPENAI_KEY:-x}; $${ alone too';
    const parsed = parseConfig({ deployments: [{ ...minimal.deployments[0], headers: { 'x-template': prompt } }] }, env);
    expect(parsed.ok && parsed.config.deployments[0]?.headers).toEqual({ 'x-template': 'Answer with ${1} or ${name} placeholders, for sk-live-1234567890; ${ alone too' });
  });

  it('quotes a variable put into a field that is not secret as written, never its value (a key pasted onto the wrong line)', () => {
    const env = { OPENAI_KEY: 'sk-live-1234567890' };
    const problems = problemsOf(
      {
        deployments: [{ ...minimal.deployments[0], id: '${OPENAI_KEY}', api_key: '${OPENAI_KEY}' }],
        groups: [{ name: 'chat', deployments: ['a'] }],
        ledger: { store: 'x${OPENAI_KEY}' },
      },
      env,
    );
    expect(problems.join('\n')).not.toContain('1234567890');
    expect(problems).toContain('groups[0].deployments[0]: unknown deployment "a"; known: ${OPENAI_KEY}');
    expect(problems.find((p) => p.startsWith('ledger.store:'))).toContain('x${OPENAI_KEY}');
  });

  it('takes a config it already parsed again, secrets included (a library caller spreading a loaded config)', () => {
    const first = parseConfig({ deployments: [{ ...minimal.deployments[0], api_key: '${OPENAI_KEY}' }], api_keys: [{ id: 'k', key: 'sk-client' }] }, { OPENAI_KEY: 'sk-live-123' });
    if (!first.ok) throw new Error('the first parse failed');
    const again = parseConfig({ ...first.config, logging: { level: 'warn' } }, {});
    expect(again.ok ? [again.config.deployments[0]?.api_key?.reveal(), again.config.api_keys[0]?.key.reveal(), again.config.logging.level] : again).toEqual(['sk-live-123', 'sk-client', 'warn']);
  });

  it('reads file: secret references and never prints the secret', () => {
    const file = join(dir, 'key.txt');
    writeFileSync(file, 'sk-from-file\n');
    const r = parseConfig({ deployments: [{ ...minimal.deployments[0], api_key: `file:${file}` }] }, {});
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const secret = r.config.deployments[0]?.api_key;
    expect(secret?.reveal()).toBe('sk-from-file');
    const shown = JSON.stringify(r.config) + inspect(r.config, { depth: 10 }) + String(secret);
    expect(shown).not.toContain('sk-from-file');
    expect(shown).toContain('[redacted]');
  });

  it('says a number is no whole number, or too large to hold, in words (YAML reads 1e400 and .inf as infinity, .nan as not a number)', () => {
    const err = yamlErrorOf(
      [
        'server: { port: 4000.5, body_limit_bytes: 1e400 }',
        'routing: { max_attempts_per_deployment: 1.5, attempt_timeout_ms: .inf, backoff: { base_ms: -1e400 } }',
        'deployments:',
        '  - { id: a, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1" }',
        'groups:',
        '  - { name: chat, deployments: [a], defaults: { temperature: .nan, max_tokens: 1e20 } }',
      ].join('\n'),
    );
    expect(err.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'server.port: expected a whole number, got 4000.5',
      'server.body_limit_bytes: expected a finite number, got a number too large to hold (such as 1e400 or .inf, read as infinity)',
      'routing.max_attempts_per_deployment: expected a whole number, got 1.5',
      'routing.attempt_timeout_ms: expected a finite number, got a number too large to hold (such as 1e400 or .inf, read as infinity)',
      'routing.backoff.base_ms: expected a finite number, got a number too far below zero to hold (such as -1e400 or -.inf, read as minus infinity)',
      'groups[0].defaults.temperature: expected a number, got .nan (not a number)',
      'groups[0].defaults.max_tokens: must be at most 9007199254740991 (a whole number is held exactly up to there)',
    ]);
    expect(err.message).not.toMatch(/\bint\b|Infinity|NaN|got number/);
  });

  it('names the wrong type of a secret field without showing its value (an unquoted numeric key)', () => {
    const problems = problemsOf({
      api_keys: [{ id: 'c', key: 12345678901234 }],
      deployments: [{ ...minimal.deployments[0], api_key: 98765432109876 }],
      keys: { hmac_secret: 55555555555555 },
      ledger: { store: 'postgres', url: 44444444444444 },
      observability: { tracing: { enabled: true, endpoint: 'http://127.0.0.1:4318', headers: { authorization: 33333333333333 } } },
    });
    expect(problems).toContain('api_keys[0].key: expected a secret as text (${ENV_VAR}, file:/path, or the value itself, which is warned about), got a number (not shown)');
    expect(problems).toContain('deployments[0].api_key: expected a secret as text (${ENV_VAR}, file:/path, or the value itself, which is warned about), got a number (not shown)');
    for (const digits of ['1234567890', '9876543210', '5555555555', '4444444444', '3333333333']) expect(problems.join('\n')).not.toContain(digits);
    expect(problems.length).toBeGreaterThanOrEqual(5);
  });

  it('leaves a store URL given as ${VAR:-} unset when VAR is, so one config serves with and without the store', () => {
    const raw = {
      ...minimal,
      ledger: { store: '${LEDGER_STORE:-sqlite}', url: '${DATABASE_URL:-}' },
      state: { store: '${STATE_STORE:-memory}', redis_url: '${REDIS_URL:-}' },
    };
    const without = parseConfig(raw, {});
    if (!without.ok) throw new Error(JSON.stringify(without.problems));
    expect([without.config.ledger.store, without.config.ledger.url, without.config.state.store, without.config.state.redis_url]).toEqual(['sqlite', undefined, 'memory', undefined]);
    const env = { LEDGER_STORE: 'postgres', DATABASE_URL: 'postgres://u:p@db:5432/s', STATE_STORE: 'redis', REDIS_URL: 'redis://cache:6379' };
    const withStores = parseConfig(raw, env);
    if (!withStores.ok) throw new Error(JSON.stringify(withStores.problems));
    expect([withStores.config.ledger.url?.reveal(), withStores.config.state.redis_url?.reveal()]).toEqual([env.DATABASE_URL, env.REDIS_URL]);
    // The store that needs the URL still says so; other secrets still refuse an empty value.
    expect(problemsOf(raw, { LEDGER_STORE: 'postgres', STATE_STORE: 'redis' })).toEqual([
      'state.redis_url: store "redis" needs a redis_url (e.g. ${REDIS_URL})',
      'ledger.url: store "postgres" needs a url (e.g. ${DATABASE_URL})',
    ]);
    expect(problemsOf({ deployments: [{ ...minimal.deployments[0], api_key: '${OPENAI_API_KEY:-}' }] })).toEqual([
      'deployments[0].api_key: expected a secret (${ENV_VAR}, file:/path, or the value itself, which is warned about), got an empty string',
    ]);
  });

  it('reports an unreadable secret file by path', () => {
    const problems = problemsOf({ deployments: [{ ...minimal.deployments[0], api_key: 'file:/nonexistent/key' }] });
    expect(problems).toEqual(['deployments[0].api_key: cannot read secret file /nonexistent/key: no such file']);
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(() => parseConfigText('deployments:\n  - id: [unclosed\n', 'bad.yaml', {})).toThrowError(ConfigError);
    try {
      parseConfigText('deployments:\n  - id: [unclosed\n', 'bad.yaml', {});
    } catch (err) {
      expect((err as ConfigError).problems[0]?.path).toMatch(/^line \d+, column \d+$/);
      expect((err as ConfigError).message).toMatch(/^bad\.yaml: invalid config/);
    }
  });

  it('names a key written twice and its first line, giving the position once', () => {
    const text = ['deployments:', '  - id: a', '    provider: openai-compatible', '    model: m', '    id: b', '"deployments": []'].join('\n');
    expect(yamlErrorOf(text).problems).toEqual([
      { path: 'line 5, column 5', message: 'duplicate key "id" (first at line 2)' },
      { path: 'line 6, column 1', message: 'duplicate key "deployments" (first at line 1)' },
    ]);
  });

  it('gives other YAML syntax errors\' positions once', () => {
    const { problems } = yamlErrorOf('deployments:\n  - id: [unclosed\n');
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p.message).not.toMatch(/line \d+, column \d+/);
  });

  it('says an empty file is empty, once', () => {
    const why = [{ path: '(root)', message: 'the config is empty: it needs at least deployments (the upstream models, see docs/CONFIG.md)' }];
    for (const text of ['', '# nothing yet\n', '~\n']) expect(yamlErrorOf(text).problems).toEqual(why);
    expect(problemsOf([minimal])).toEqual(['(root): expected a mapping (key: value), got a list']);
  });

  it('reports the first five YAML syntax errors of a file that is not YAML at all, and counts the rest', () => {
    const notYaml = Array.from({ length: 40 }, (_, i) => `listening on port ${i}: "ok" [x`).join('\n');
    const err = (() => {
      try {
        parseConfigText(notYaml, 'demo.yaml', {});
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err.problems).toHaveLength(6);
    expect(err.problems[5]).toEqual({ path: '(yaml)', message: expect.stringMatching(/^\d+ more syntax errors, most following from those above$/) as unknown });
  });

  it('takes YAML merge keys, so deployments can share settings through an anchor', () => {
    const text = [
      'deployments:',
      '  - &vllm',
      '    id: vllm-a',
      '    provider: openai-compatible',
      '    model: llama',
      '    endpoint: http://127.0.0.1:9/v1',
      '  - <<: *vllm',
      '    id: vllm-b',
      '    endpoint: http://127.0.0.1:10/v1',
      'groups:',
      '  - name: chat',
      '    deployments: [vllm-a, vllm-b]',
    ].join('\n');
    const config = parseConfigText(text, 'merge.yaml', {});
    expect(config.deployments.map((d) => [d.id, d.model, d.endpoint])).toEqual([
      ['vllm-a', 'llama', 'http://127.0.0.1:9/v1'],
      ['vllm-b', 'llama', 'http://127.0.0.1:10/v1'],
    ]);
  });

  it('names an alias inside its own anchor by path, rather than overflowing the stack on the cyclic tree', () => {
    const text = [
      'deployments:',
      '  - &loop',
      '    id: a',
      '    provider: openai-compatible',
      '    model: llama',
      '    endpoint: http://127.0.0.1:9/v1',
      '    tags: [*loop]',
    ].join('\n');
    expect(yamlErrorOf(text).problems).toContainEqual({ path: 'deployments[0].tags[0]', message: expect.stringMatching(/^holds itself \(a YAML alias inside its own anchor/) });
  });

  it('refuses a __proto__ key as the unknown key it is, rather than reading its fields as the mapping\'s own', () => {
    const text = ['server:', '  __proto__:', '    port: 9999', 'deployments:', '  - { id: d, provider: openai-compatible, model: m, endpoint: http://127.0.0.1:9/v1 }'].join('\n');
    const problems = yamlErrorOf(text).problems;
    expect(problems).toContainEqual(expect.objectContaining({ path: expect.stringMatching(/^server/), message: expect.stringContaining('__proto__') }));
  });

  it('reports a key that is a collection as an unknown key, without yaml printing a process warning to stderr', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const text = ['? [a, b]', ': 1', 'deployments:', '  - { id: d, provider: openai-compatible, model: m, endpoint: http://127.0.0.1:9/v1 }'].join('\n');
      expect(yamlErrorOf(text).problems).toContainEqual(expect.objectContaining({ message: expect.stringContaining('[ a, b ]') }));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.message)).toEqual([]);
  });

  it('takes a merge key from hundreds of deployments sharing one anchor (yaml refused a 101st alias with a bare ReferenceError)', () => {
    const ids = Array.from({ length: 150 }, (_, i) => `vllm-${i}`);
    const text = [
      'x-vllm: &vllm { provider: openai-compatible, model: llama, endpoint: http://127.0.0.1:9/v1 }',
      'deployments:',
      ...ids.map((id) => `  - { <<: *vllm, id: ${id} }`),
      `groups: [{ name: chat, deployments: [${ids.join(', ')}] }]`,
    ].join('\n');
    expect(parseConfigText(text, 'many.yaml', {}).deployments).toHaveLength(150);
  });

  it('names a merge key whose value is no mapping by its line, rather than throwing yaml\'s bare Error', () => {
    const text = ['deployments:', '  - id: a', '    <<: 5', '    provider: openai-compatible'].join('\n');
    expect(yamlErrorOf(text).problems).toEqual([{ path: 'line 3, column 5', message: 'a merge key (<<) takes a mapping, an alias of one, or a list of them' }]);
  });

  it('refuses an alias bomb with one config problem, rather than expanding it or throwing yaml\'s ReferenceError', () => {
    const letters = 'abcdefghij';
    const text = [`x-a: &a [${Array(10).fill('x').join(', ')}]`, ...[...letters.slice(1)].map((l, i) => `x-${l}: &${l} [${Array(10).fill(`*${letters[i]}`).join(', ')}]`), 'deployments: []'].join('\n');
    expect(yamlErrorOf(text).problems).toEqual([{ path: 'line 5, column 38', message: expect.stringMatching(/^the aliases up to here copy more than 100000 values/) }]);
  });

  it('ignores top-level x- keys, so a shared anchor block can feed merge keys (as docker-compose does)', () => {
    const text = [
      'x-vllm: &vllm',
      '  provider: openai-compatible',
      '  model: llama',
      '  api_key: ${VLLM_KEY}',
      'x-notes: anything at all',
      'deployments:',
      '  - <<: *vllm',
      '    id: vllm-a',
      '    endpoint: http://127.0.0.1:9/v1',
      'groups:',
      '  - name: chat',
      '    deployments: [vllm-a]',
    ].join('\n');
    const config = parseConfigText(text, 'extensions.yaml', { VLLM_KEY: 'k' });
    expect(config.deployments.map((d) => [d.id, d.provider, d.model])).toEqual([['vllm-a', 'openai-compatible', 'llama']]);
    expect(Object.keys(config).filter((k) => k.startsWith('x-'))).toEqual([]);
    // An unset variable in the anchor block is reported where a merge key copied it, not in the block.
    expect(() => parseConfigText(text, 'extensions.yaml', {})).toThrowError(/deployments\[0\]\.api_key: /);
  });

  it('still refuses other unknown top-level keys with a did-you-mean', () => {
    expect(problemsOf({ ...minimal, deploymnts: [], X_defaults: {} })).toEqual([expect.stringMatching(/^\(root\): unknown key "deploymnts"; did you mean "deployments"\?; unknown key "X_defaults"; expected one of server, /)]);
  });

  it('loads a YAML file', () => {
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(
      file,
      [
        'deployments:',
        '  - id: primary',
        '    provider: openai-compatible',
        '    model: gpt-4o-mini',
        '    endpoint: http://127.0.0.1:9/v1',
        'groups:',
        '  - name: chat',
        '    aliases: [gpt-4o-mini]',
        '    deployments: [primary]',
      ].join('\n'),
    );
    const config = loadConfigFile(file, {});
    expect(config.groups[0]?.aliases).toEqual(['gpt-4o-mini']);
    expect(() => loadConfigFile(join(dir, 'missing.yaml'), {})).toThrowError(`cannot read config file ${join(dir, 'missing.yaml')}: no such file`);
  });
});

describe('config routing references', () => {
  it('reports unknown fallback targets and duplicate tasks at load time, before any gateway is built', () => {
    const problems = problemsOf({
      ...minimal,
      groups: [
        { name: 'coding', tasks: ['coding'], deployments: ['a'], fallbacks: { context_window_exceeded: ['x'] } },
        { name: 'simple', tasks: ['coding'], deployments: ['a'], shadow: { share: 0.1, deployments: ['coding', 'nope'] } },
      ],
    });
    expect(problems).toEqual([
      'groups[0].fallbacks.context_window_exceeded[0]: unknown group or deployment "x"; known groups: coding, simple; deployments: a',
      'groups[1].shadow.deployments[1]: unknown group or deployment "nope"; known groups: coding, simple; deployments: a',
      'groups[1].tasks[0]: task "coding" is already served by groups[0]; a task picks exactly one group',
    ]);
  });

  it('accepts passthrough fields a deployment can carry', () => {
    const r = parseConfig({ deployments: [{ ...minimal.deployments[0], passthrough: ['service_tier', 'store'] }] }, {});
    expect(r.ok && r.config.deployments[0]?.passthrough).toEqual(['service_tier', 'store']);
  });

  it('refuses passthrough of a field Switchyard maps itself, with its path', () => {
    expect(problemsOf({ deployments: [{ ...minimal.deployments[0], passthrough: ['temperature'] }] })).toEqual([
      'deployments[0].passthrough[0]: "temperature" is a field Switchyard maps itself; passthrough is for other fields',
    ]);
  });

  it('refuses passthrough where the wire format has no slot for it, or the dialect writes the field', () => {
    const gemini = { id: 'g', provider: 'vertex', model: 'gemini-2.5-flash', project: 'p', region: 'europe-west4', passthrough: ['safetySettings'] };
    expect(problemsOf({ deployments: [gemini] })).toEqual([expect.stringMatching(/^deployments\[0\]\.passthrough: Gemini requests have no free-form field/)]);
    const claude = { id: 'c', provider: 'anthropic', model: 'claude', api_key: 'k', passthrough: ['system'] };
    expect(problemsOf({ deployments: [claude] })).toEqual([expect.stringMatching(/^deployments\[0\]\.passthrough: "system" is a Messages API field/)]);
    const titan = { id: 't', provider: 'bedrock', model: 'amazon.titan-embed-text-v2:0', region: 'us-east-1', passthrough: ['x'] };
    expect(problemsOf({ deployments: [titan] })).toEqual(['deployments[0].passthrough: Bedrock embedding models take no passthrough fields']);
  });

  it('names the missing model of a deployment with passthrough fields, rather than a TypeError from its passthrough check', () => {
    const nova = { id: 'n', provider: 'bedrock', region: 'us-east-1', passthrough: ['inferenceConfig'] };
    expect(problemsOf({ deployments: [minimal.deployments[0], nova] })).toEqual([expect.stringMatching(/^deployments\[1\]\.model: /)]);
  });
});

describe('secrets written out as values', () => {
  const keyFile = join(dir, 'upstream.key');
  writeFileSync(keyFile, 'sk-from-file\n');
  const text = (extra: readonly string[] = []): string =>
    [
      ...extra,
      'deployments:',
      '  - { id: a, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", api_key: sk-literal-a }',
      '  - { id: b, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", api_key: "${B_KEY}" }',
      `  - { id: c, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", api_key: "file:${keyFile}" }`,
      '  - { id: d, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", api_key: "${D_KEY:-sk-dev}" }',
      '  - { id: e, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", api_key: "sk-$${e}" }',
      '  - { id: f, provider: bedrock, model: m, region: us-east-1, access_key_id: AKIDLITERAL, secret_access_key: "${AWS_SECRET}" }',
      'groups: [{ name: chat, deployments: [a, b, c, d, e, f] }]',
      'api_keys: [{ id: k, key: client-literal }, { id: k2, key: "Bearer ${CLIENT_KEY}" }]',
      'ledger: { store: postgres, url: "postgres://gw:hunter2@db:5432/ledger" }',
      'state: { store: redis, redis_url: "redis://127.0.0.1:6379" }',
    ].join('\n');
  const env = { B_KEY: 'sk-from-env', CLIENT_KEY: 'ck', AWS_SECRET: 'aws-secret' };

  it('are accepted, and named by path (never by value): not references, files, defaults of a reference, or a store URL without a password', () => {
    const config = parseConfigText(text(), 'switchyard.yaml', env);
    expect(config.deployments[0]?.api_key?.reveal()).toBe('sk-literal-a');
    const paths = literalSecrets(config);
    expect([...paths].sort()).toEqual(['api_keys[0].key', 'deployments[0].api_key', 'deployments[4].api_key', 'deployments[5].access_key_id', 'ledger.url']);
    expect(JSON.stringify(paths)).not.toMatch(/sk-literal|client-literal|hunter2|AKIDLITERAL/);
  });

  it('are not named in a config the demo wrote (its simulators\' fake keys)', () => {
    expect(literalSecrets(parseConfigText(text([`${DEMO_CONFIG_KEY}: written by switchyard demo`]), 'demo.yaml', env))).toEqual([]);
  });
});
