import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { startDemo } from '../demo.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} }, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-check-config-'));

describe('switchyard check-config', () => {
  it('check-config prints no "ok" for a run --explain fails: the verdict comes last and names what failed (exit 1)', async () => {
    const file = join(dir, 'leaks.yaml');
    writeFileSync(
      file,
      [
        'deployments:',
        '  - { id: eu, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", region: eu-west-1, tags: [eu] }',
        '  - { id: us, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", region: us-east-1, tags: [eu] }',
        'groups:',
        '  - { name: chat, deployments: [eu, us] }',
        'residency: { eu: { regions: ["eu-*"] } }',
        'api_keys: [{ id: ana, key: k-ana, residency: eu }]',
      ].join('\n'),
    );
    const c = capture();
    expect(await main(['check-config', file, '--explain'], c.io)).toBe(1);
    expect(c.out.join('\n')).toContain('LEAK');
    expect(c.out.join('\n')).not.toContain(': ok (');
    expect(c.err.at(-1)).toBe(`${file}: failed --explain (the config itself is valid: 2 deployments, 1 group)`);
  });

  it('check-config warns of ledger paths this machine\'s filesystem refuses, which serve here refuses, and creates nothing', async () => {
    const paths = mkdtempSync(join(dir, 'ledger-paths-'));
    const aFile = join(paths, 'a-file');
    writeFileSync(aFile, 'kept');
    const file = join(paths, 'c.yaml');
    const ledger = `{ path: ${JSON.stringify(join(aFile, 'ledger.sqlite'))}, journal_dir: ${JSON.stringify(aFile)}, spill_path: ${JSON.stringify(join(paths, 'new', 'spill.jsonl'))} }`;
    writeFileSync(file, `deployments:\n  - { id: a, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1" }\ngroups:\n  - { name: chat, deployments: [a] }\nledger: ${ledger}\n`);
    const c = capture();
    // A warning, not a refusal: a config written for a container names paths this machine may not have.
    expect(await main(['check-config', file], c.io)).toBe(0);
    expect(c.out).toEqual([`${file}: ok (1 deployment, 1 group)`]);
    expect(c.err).toEqual([
      `${file}: warning: ledger.path: cannot use ${join(aFile, 'ledger.sqlite')}: a part of its path is a file, not a directory (serve on this machine refuses it)`,
      `${file}: warning: ledger.journal_dir: cannot use ${aFile}: it is a file, not a directory (serve on this machine refuses it)`,
    ]);
    expect(readdirSync(paths).sort()).toEqual(['a-file', 'c.yaml']);
    const s = capture();
    expect(await main(['serve', '-c', file, '--workers', '1', '--port', '0'], s.io)).toBe(1);
    expect(s.err.join('\n')).toContain(`ledger.path: cannot use ${join(aFile, 'ledger.sqlite')}: a part of its path is a file, not a directory`);
  });
  it('check-config warns once per secret written out as its value, by path and never by value; still valid (exit 0)', async () => {
    const file = join(dir, 'literal.yaml');
    writeFileSync(
      file,
      [
        'api_keys:',
        '  - { id: k2, key: plaintextsecret }',
        'deployments:',
        '  - { id: a, provider: openai-compatible, model: m, endpoint: "https://example.com/v1", api_key: sk-literal }',
        '  - { id: b, provider: openai-compatible, model: m, endpoint: "https://example.com/v1", api_key: "${B_KEY}" }',
        'groups:',
        '  - { name: chat, deployments: [a, b] }',
      ].join('\n'),
    );
    const c = capture();
    expect(await main(['check-config', file], { ...c.io, env: { B_KEY: 'sk-from-env' } })).toBe(0);
    expect(c.out).toEqual([`${file}: ok (2 deployments, 1 group)`]);
    const why = 'a literal secret in the config file; use ${ENV_VAR} or file:/path';
    expect([...c.err].sort()).toEqual([`${file}: warning: api_keys[0].key: ${why}`, `${file}: warning: deployments[0].api_key: ${why}`]);
    expect(c.err.join('\n')).not.toMatch(/plaintextsecret|sk-literal|sk-from-env/);
  });

  it('check-config warns of budgets that would count nothing, by path; the config stays valid (exit 0, "ok")', async () => {
    const file = join(dir, 'budgets.yaml');
    writeFileSync(
      file,
      [
        'api_keys:',
        '  - { id: ana, key: "${ANA_KEY}", team: api }',
        'deployments:',
        '  - { id: a, provider: openai-compatible, model: gpt-4o-mini, endpoint: "http://127.0.0.1:9/v1" }',
        '  - { id: b, provider: openai-compatible, model: gpt-4o-mni, endpoint: "http://127.0.0.1:9/v1" }',
        'groups:',
        '  - { name: chat, deployments: [a, b] }',
        'budgets:',
        '  limits:',
        '    - { name: per-team, period: daily, per: tean, hard_usd: 0.000001 }',
        '    - { name: api, period: daily, match: { team: ap }, hard_usd: 5 }',
        '    - { name: all, period: monthly, soft_usd: 100, hard_usd: 100 }',
      ].join('\n'),
    );
    const c = capture();
    expect(await main(['check-config', file], { ...c.io, env: { ANA_KEY: 'k-ana' } })).toBe(0);
    expect(c.out).toEqual([`${file}: ok (2 deployments, 1 group)`]);
    expect(c.err.map((l) => /^(.*?: warning: [^:]+):/.exec(l)?.[1])).toEqual([
      `${file}: warning: budgets.limits[0].per`,
      `${file}: warning: budgets.limits[1].match.team`,
      `${file}: warning: budgets.limits[2].soft_usd`,
      `${file}: warning: deployments[1].model`,
    ]);
    expect(c.err[0]).toContain('(did you mean "team"?)');
    expect(c.err[1]).toContain('no key in api_keys has team "ap" (did you mean "api"?)');
    expect(c.err[3]).toContain('no price for "gpt-4o-mni" on provider openai-compatible (did you mean "gpt-4o-mini"?)');
  });

  it('check-config says nothing of the fake keys in a config the demo wrote', async () => {
    const demo = await startDemo({ port: 0, dataDir: mkdtempSync(join(dir, 'demo-')) });
    try {
      const file = join(dir, 'demo.yaml');
      writeFileSync(file, demo.configYaml);
      const c = capture();
      expect(await main(['check-config', file], c.io)).toBe(0);
      expect(c.err.filter((l) => l.includes('literal secret'))).toEqual([]);
    } finally {
      await demo.close();
    }
  });
});
