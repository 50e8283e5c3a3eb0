import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { main } from './main.js';
import { DEMO_LIMITED_RPM, startDemo } from './demo.js';
import { demoBanner } from './commands/demo.js';

function capture(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env }, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));

describe('switchyard CLI', () => {
  it('check-config accepts a valid file', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'deployments:\n  - id: a\n    provider: openai-compatible\n    model: m\n    api_key: ${KEY}\ngroups:\n  - { name: chat, deployments: [a] }\n');
    const c = capture({ KEY: 'sk-secret-value' });
    expect(await main(['check-config', file], c.io)).toBe(0);
    expect(c.out.join('\n')).toBe(`${file}: ok (1 deployment, 1 group)`);
    expect(c.err).toEqual([]);
  });

  it('check-config and serve refuse a config no model name reaches (no group, direct names off), with the fix', async () => {
    const file = join(dir, 'no-group.yaml');
    writeFileSync(file, 'deployments:\n  - id: a\n    provider: openai-compatible\n    model: m\n');
    const c = capture();
    expect(await main(['check-config', file], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('groups: no model name reaches any deployment');
    expect(c.err.join('\n')).toContain('routing.allow_direct_deployments: true');
    const s = capture();
    expect(await main(['serve', '-c', file, '--workers', '1'], s.io)).toBe(1);
    expect(s.err.join('\n')).toContain('groups: no model name reaches any deployment');
  });

  it('check-config warns about a deployment in no group that cannot be named directly', async () => {
    const file = join(dir, 'unused.yaml');
    writeFileSync(file, 'deployments:\n  - { id: a, provider: openai-compatible, model: m }\n  - { id: b, provider: openai-compatible, model: m }\ngroups:\n  - { name: chat, deployments: [a] }\n');
    const c = capture();
    expect(await main(['check-config', file], c.io)).toBe(0);
    expect(c.err).toEqual([`${file}: warning: deployments[1]: "b" is in no group and direct deployment names are off: no request reaches it (add it to a group, or set routing.allow_direct_deployments: true)`]);
  });

  it('check-config refuses a misspelt option or a second file (exit 2) rather than passing without checking them', async () => {
    const good = join(dir, 'ok-strict.yaml');
    writeFileSync(good, 'deployments:\n  - { id: a, provider: openai-compatible, model: m }\ngroups:\n  - { name: chat, deployments: [a] }\n');
    const bad = join(dir, 'bad-strict.yaml');
    writeFileSync(bad, 'deployments: []\n');
    const typo = capture();
    expect(await main(['check-config', good, '--explian'], typo.io)).toBe(2);
    expect(typo.err.join('\n')).toContain('switchyard check-config: unknown option --explian; did you mean --explain?');
    expect(typo.err.join('\n')).toContain('usage: switchyard check-config (FILE | -c FILE) [--explain]');
    const two = capture();
    expect(await main(['check-config', good, bad], two.io)).toBe(2);
    expect(two.err.join('\n')).toContain('one config file at a time');
    const explain = capture();
    expect(await main(['check-config', '--explain', good], explain.io)).toBe(0);
    expect(explain.out.join('\n')).toContain('any caller (no api_keys)');
  });

  it('check-config takes the file as -c FILE too, as serve and the other commands do, and its usage line says so', async () => {
    const help = capture();
    expect(await main(['check-config', '--help'], help.io)).toBe(0);
    expect(help.out[0]).toMatch(/^usage: switchyard check-config \(FILE \| -c FILE\) /);
    const file = join(dir, 'ok-dash-c.yaml');
    writeFileSync(file, 'deployments:\n  - { id: a, provider: openai-compatible, model: m }\ngroups:\n  - { name: chat, deployments: [a] }\n');
    for (const argv of [['check-config', '-c', file], ['check-config', '--config', file, '--explain']]) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(0);
      expect(c.out.at(-1)).toBe(`${file}: ok (1 deployment, 1 group)`);
    }
    const two = capture();
    expect(await main(['check-config', '-c', file, file], two.io)).toBe(2);
    expect(two.err.join('\n')).toContain('one config file at a time, got 2');
  });

  it('check-config --explain quotes a secret a variable also put into an id by its reference, never its value', async () => {
    const file = join(dir, 'secret-id.yaml');
    writeFileSync(file, 'deployments:\n  - { id: "${KEY}", provider: openai-compatible, model: m, api_key: "${KEY}" }\ngroups:\n  - { name: chat, deployments: ["${KEY}"] }\n');
    const c = capture({ KEY: 'sk-live-0123456789abcdef' });
    expect(await main(['check-config', '--explain', file], c.io)).toBe(0);
    const printed = [...c.out, ...c.err].join('\n');
    expect(printed).toContain('${KEY}');
    expect(printed).not.toContain('0123456789abcdef');
  });

  it('demo --write-config to a path it cannot write says why in words before starting anything: exit 2 with the usage, as --out is', async () => {
    const cwd = mkdtempSync(join(dir, 'demo-write-'));
    for (const [given, why] of [
      [join(cwd, 'no-such-dir', 'demo.yaml'), 'its directory does not exist'],
      [join('no-such-dir', 'demo.yaml'), 'its directory does not exist'],
      [cwd, 'it is a directory, not a file'],
    ] as const) {
      const c = capture();
      expect(await main(['demo', '--port', '0', '--quiet', '--write-config', given], { ...c.io, cwd }), given).toBe(2);
      expect(c.err).toEqual([`switchyard demo: cannot write --write-config ${given}: ${why}`, expect.stringMatching(/^usage: switchyard demo /)]);
    }
    // Nothing started: the demo makes its ledger folder where it runs.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('every command reading a config names the path and what is wrong when it is a directory, missing, unreadable or empty: one message, exit 1, no stack', async () => {
    const configs = mkdtempSync(join(dir, 'configs-'));
    const empty = join(configs, 'empty.yaml');
    writeFileSync(empty, '');
    const locked = join(configs, 'locked.yaml');
    writeFileSync(locked, 'deployments: []\n');
    chmodSync(locked, 0);
    const cases: Array<[string, string]> = [
      [configs, `cannot read config file ${configs}: it is a directory, not a file`],
      [join(configs, 'missing.yaml'), `cannot read config file ${join(configs, 'missing.yaml')}: no such file`],
      [empty, `${empty}: invalid config\n  (root): the config is empty: it needs at least deployments (the upstream models, see docs/CONFIG.md)`],
    ];
    // root reads a file whatever its mode: there, chmod 000 takes nothing away.
    if (process.getuid?.() !== 0) cases.push([locked, `cannot read config file ${locked}: permission denied`]);
    const log = join(configs, 'usage.log');
    writeFileSync(log, '');
    const commands = (file: string): string[][] => [
      ['serve', '-c', file],
      ['check-config', file],
      ['drill', '-c', file, '--group', 'chat', '--scenario', 'throttle'],
      ['consistency', '-c', file, '--group', 'chat'],
      ['report', '-c', file],
      ['report', '--advise', '-c', file],
      ['import-usage', '-c', file, log],
      ['keys', 'list', '-c', file],
      ['audit', 'verify', '-c', file],
    ];
    for (const [file, message] of cases) {
      for (const argv of commands(file)) {
        const c = capture();
        expect(await main(argv, c.io), argv.join(' ')).toBe(1);
        const text = c.err.join('\n');
        expect(text, argv.join(' ')).toContain(message);
        expect(text, argv.join(' ')).not.toMatch(/EISDIR|ENOENT|EACCES|\n\s+at /);
        expect(text.replace(message, '').replace(`switchyard ${argv[0]}: `, '').trim(), argv.join(' ')).toMatch(/^(refusing to start without a valid config)?$/);
      }
    }
  });

  it('report, audit export, consistency and drill refuse an --out they could not write before any work, naming it (exit 2, no errno, nothing written)', async () => {
    const outs = mkdtempSync(join(dir, 'outs-'));
    const config = join(outs, 'switchyard.yaml');
    // A ledger that is not there: the --out check must come first, or the command fails on that instead.
    writeFileSync(config, `deployments:\n  - { id: a, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1" }\ngroups:\n  - { name: chat, deployments: [a] }\nledger: { path: ${JSON.stringify(join(outs, 'none.sqlite'))} }\n`);
    const aFile = join(outs, 'a-file');
    writeFileSync(aFile, 'kept');
    const missingDir = join(outs, 'no-such-dir', 'out.csv');
    const cases: Array<[string[], string]> = [
      [['report', '-c', config, '--out', missingDir], `cannot write --out ${missingDir}: its directory does not exist`],
      [['report', '-c', config, '--out', outs], `cannot write --out ${outs}: it is a directory, not a file`],
      [['audit', 'export', '-c', config, '--out', missingDir], `cannot write --out ${missingDir}: its directory does not exist`],
      [['consistency', '-c', config, '--group', 'chat', '--out', join(aFile, 'x.html')], `cannot write --out ${join(aFile, 'x.html')}: a part of its path is a file, not a directory`],
      [['drill', '-c', config, '--group', 'chat', '--scenario', 'throttle', '--out', aFile], `cannot write --out ${aFile}: it is a file, not a directory`],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err[0], argv.join(' ')).toBe(`switchyard ${argv[0]}: ${message}`);
      expect(c.err.join('\n'), argv.join(' ')).not.toMatch(/EISDIR|ENOENT|ENOTDIR|\n\s+at /);
      expect(c.out, argv.join(' ')).toEqual([]);
    }
    expect(readFileSync(aFile, 'utf8')).toBe('kept');
  });

  it('serve refuses a --workers count past 256 (a typo would fork until memory ran out) as it refuses 0, before reading the config (exit 2)', async () => {
    for (const [value, message] of [
      ['40000', 'switchyard serve: --workers must be a whole number from 1 to 256, got "40000"'],
      ['0', 'switchyard serve: --workers must be a whole number from 1 to 256, got "0"'],
      ['1e3', 'switchyard serve: --workers must be a whole number from 1 to 256, got "1e3"'],
    ]) {
      const c = capture();
      expect(await main(['serve', '-c', join(dir, 'not-read.yaml'), '--workers', value as string], c.io), value).toBe(2);
      expect(c.err, value).toEqual([message, 'usage: switchyard serve -c FILE [--port N] [--host H] [--workers N]']);
    }
  });

  it('serve names a host that resolves to no address and the setting that gave it, in one line (exit 1, no getaddrinfo text), with or without workers', async () => {
    const file = join(dir, 'bad-host.yaml');
    // An empty label: the resolver refuses the name itself, asking no name server.
    writeFileSync(file, 'server: { host: "no..such.host", allow_unauthenticated: true }\ndeployments:\n  - { id: a, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1" }\ngroups: [{ name: chat, deployments: [a] }]\nledger: { enabled: false }\n');
    const why = 'the host name resolves to no address';
    for (const [flags, line] of [
      [['--workers', '1', '--port', '0'], `switchyard serve: cannot listen on no..such.host:0: ${why} (server.host in ${file})`],
      [['--workers', '2', '--port', '0'], `switchyard serve: cannot listen on no..such.host:0: ${why} (server.host in ${file})`],
      [['--workers', '1', '--host', 'bad..name'], `switchyard serve: cannot listen on bad..name:4000: ${why} (--host)`],
      [['--workers', '2', '--host', 'bad..name'], `switchyard serve: cannot listen on bad..name:4000: ${why} (--host)`],
    ] as const) {
      const c = capture();
      expect(await main(['serve', '-c', file, ...flags], c.io), flags.join(' ')).toBe(1);
      expect(c.err, flags.join(' ')).toEqual([line]);
    }
    // A taken port is the port's setting.
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const taken = (squatter.address() as AddressInfo).port;
    const c = capture();
    expect(await main(['serve', '-c', file, '--workers', '1', '--host', '127.0.0.1', '--port', String(taken)], c.io)).toBe(1);
    expect(c.err).toEqual([`switchyard serve: cannot listen on 127.0.0.1:${taken}: the port is in use (--port)`]);
    await new Promise((r) => squatter.close(r));
  });

  it("serve refuses a --host beyond loopback for a config with no keys, as the config's own host would be refused (exit 1, nothing listens)", async () => {
    const file = join(dir, 'open.yaml');
    writeFileSync(file, 'deployments:\n  - { id: a, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1" }\ngroups: [{ name: chat, deployments: [a] }]\nledger: { enabled: false }\n');
    for (const workers of ['1', '2']) {
      const c = capture();
      expect(await main(['serve', '-c', file, '--workers', workers, '--host', '0.0.0.0', '--port', '0'], c.io)).toBe(1);
      expect(c.err).toEqual([expect.stringMatching(/^switchyard serve: --host listens beyond this host \(0\.0\.0\.0\) with no api_keys and no virtual keys: every caller would be an admin .*server\.allow_unauthenticated: true/)]);
    }
  });

  it('check-config prints every problem with its path and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'deployments:\n  - id: a\n    provider: nope\n    model: m\n  - id: b\n    provider: openai-compatible\n    api_key: ${MISSING}\n');
    const c = capture();
    expect(await main(['check-config', file], c.io)).toBe(1);
    const text = c.err.join('\n');
    expect(text).toContain(`${file}: invalid config`);
    expect(text).toContain('deployments[1].api_key: environment variable MISSING is not set');
    expect(text).toContain('deployments[1].model:');
  });

  it('serve refuses to start with an invalid config, with the same messages', async () => {
    const file = join(dir, 'bad-serve.yaml');
    writeFileSync(file, 'deployments: []\n');
    const c = capture();
    expect(await main(['serve', '-c', file], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('deployments: at least one deployment is required');
    expect(c.err.join('\n')).toContain('refusing to start');
  });

  it('prints help and rejects unknown commands', async () => {
    const c = capture();
    expect(await main(['frobnicate'], c.io)).toBe(2);
    expect(c.err[0]).toBe('switchyard: unknown command "frobnicate"');
    expect(c.out.join('\n')).toContain('switchyard demo');
  });

  it('explains each command with --help, -h or help COMMAND, without running it', async () => {
    for (const name of ['serve', 'check-config', 'demo', 'sim', 'report']) {
      for (const argv of [[name, '--help'], [name, '-h'], ['help', name]]) {
        const c = capture();
        expect(await main(argv, c.io)).toBe(0);
        const text = c.out.join('\n');
        expect(text).toMatch(new RegExp(`^usage: switchyard ${name}\\b`));
        expect(text.split('\n').length).toBeGreaterThan(4);
        expect(c.err).toEqual([]);
      }
    }
    const c = capture();
    await main(['report', '--help'], c.io);
    expect(c.out.join('\n')).toContain('--wide');
  });

  it('check-config reports problems of every stage in words, in one run', async () => {
    const file = join(dir, 'many.yaml');
    writeFileSync(
      file,
      'deployments:\n  - { id: br, provider: bedrock, model: m }\n  - { id: x, provider: bedrok, model: m }\ngroups:\n  - { name: chat, strategy: fastest, deployments: [br, nope] }\n',
    );
    const c = capture();
    expect(await main(['check-config', file], c.io)).toBe(1);
    // In the file's order, whichever stage found each.
    expect(c.err.join('\n').split('\n').slice(1)).toEqual([
      '  deployments[0].region: required: the AWS region, e.g. us-east-1',
      expect.stringMatching(/^ {2}deployments\[1\]\.provider: unknown provider "bedrok"/),
      expect.stringMatching(/^ {2}groups\[0\]\.strategy: expected one of "priority", /),
      '  groups[0].deployments[1]: unknown deployment "nope"; known: br, x',
    ]);
  });

  it('demo answers a chat request with no credentials', async () => {
    const demo = await startDemo({ port: 0, dataDir: join(dir, 'demo') });
    try {
      const res = await request(`${demo.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hello!' }] }),
      });
      expect(res.statusCode).toBe(200);
      const body = (await res.body.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]?.message.content).toContain('You said: Hello!');
      expect(Number(res.headers['x-switchyard-cost-usd'])).toBeGreaterThan(0);
      const status = await request(`${demo.server.url}/v1/switchyard/status`);
      expect(status.statusCode).toBe(200);
      await status.body.dump();
      expect(demo.configYaml).toContain('provider: openai-compatible');
    } finally {
      await demo.close();
    }
  });

  it('answers a reload with 501 saying the demo\'s config is built in, and how to run one that reloads', async () => {
    const demo = await startDemo({ port: 0, dataDir: join(dir, 'demo-reload') });
    try {
      const res = await request(`${demo.server.url}/v1/switchyard/reload`, { method: 'POST' });
      expect(res.statusCode).toBe(501);
      expect(await res.body.json()).toMatchObject({
        error: { code: 'reload_unsupported', message: "The demo's config is built in, so there is no file to reload: write it out with switchyard demo --write-config FILE, edit it, and run switchyard serve -c FILE, which reloads." },
      });
    } finally {
      await demo.close();
    }
  });

  it('demo\'s banner names every scripted prompt README promises, and "chat" declines "refuse to answer" as it says', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const scripted = /^The simulators' answers are scripted:[\s\S]*?\n\n/m.exec(readme)?.[0] ?? '';
    const prompts = [...scripted.matchAll(/contain(?:s|ing) "([^"]+)"/g)].map((m) => m[1]?.replace(/\s+/g, ' '));
    expect(prompts).toEqual(['call the tool', 'call both tools', 'think step by step', 'refuse to answer']);
    const demo = await startDemo({ port: 0, dataDir: join(dir, 'demo-banner') });
    try {
      const banner = demoBanner(demo, undefined).join('\n');
      for (const prompt of prompts) expect(banner).toContain(`"${prompt}"`);
      const res = await request(`${demo.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Please refuse to answer.' }] }),
      });
      const body = (await res.body.json()) as { choices: Array<{ message: { content: string | null; refusal: string | null } }> };
      expect(body.choices[0]?.message).toMatchObject({ content: null, refusal: expect.stringContaining("can't help") });
    } finally {
      await demo.close();
    }
  });

  it('demo\'s "limited" group answers its requests per minute, then 429 rate_limit_exceeded with retry-after, while "chat" stays open', async () => {
    // Twenty seconds into a minute (the clock runs on from there), so every request falls in one window.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-03-02T10:00:20Z'), shouldAdvanceTime: true });
    const demo = await startDemo({ port: 0, dataDir: join(dir, 'demo-limited') });
    const ask = async (model: string) => {
      const res = await request(`${demo.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as { error?: { code: string } } };
    };
    try {
      for (let i = 0; i < DEMO_LIMITED_RPM; i++) expect((await ask('limited')).status).toBe(200);
      const refused = await ask('limited');
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(30);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(40);
      expect(refused.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect((await ask('chat')).status).toBe(200);
    } finally {
      await demo.close();
      vi.useRealTimers();
    }
  });

  it('demo serves three simulated clouds behind one endpoint, and fails over between them', async () => {
    const demo = await startDemo({ port: 0, dataDir: join(dir, 'demo-clouds') });
    const ask = async (model: string) => {
      const res = await request(`${demo.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello!' }] }),
      });
      const body = (await res.body.json()) as { choices?: Array<{ message: { content: string } }> };
      return { status: res.statusCode, provider: res.headers['x-switchyard-provider'], deployment: res.headers['x-switchyard-deployment'], text: body.choices?.[0]?.message.content };
    };
    try {
      expect(await ask('claude-3-5-haiku')).toMatchObject({ status: 200, provider: 'bedrock' });
      expect(await ask('gpt-4o')).toMatchObject({ status: 200, provider: 'azure-openai' });
      expect(await ask('gemini-2.5-flash')).toMatchObject({ status: 200, provider: 'vertex' });
      expect(await ask('multicloud')).toMatchObject({ status: 200, provider: 'bedrock' });
      const bedrock = demo.sims.find((s) => s.name.includes('bedrock'));
      bedrock?.faults.add({ status: 503, error: 'ServiceUnavailableException', count: 10 });
      const failedOver = await ask('multicloud');
      expect(failedOver).toMatchObject({ status: 200, provider: 'azure-openai' });
      expect(failedOver.text).toContain('You said: Hello!');
    } finally {
      await demo.close();
    }
  });
});
