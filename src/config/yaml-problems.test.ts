import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from './load.js';

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, 'switchyard.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const deployment = ['  - id: a', '    provider: openai-compatible', '    model: m', '    endpoint: http://127.0.0.1:9/v1'].join('\n');

describe('YAML problems', () => {
  it('names an alias of no anchor by its line, never quoting its name (a key written without quotes: *sk-...)', () => {
    const problems = problemsOf(['deployments:', '  - id: a', '    provider: openai-compatible', '    model: m', '    api_key: *sk-SECRETabc123'].join('\n'));
    expect(problems).toEqual([expect.stringMatching(/^line 5, column 14: an alias \(\*name\) names no anchor/)]);
    expect(problems.join('\n')).not.toContain('SECRETabc123');
  });

  it('refuses, quickly and at the alias, aliases whose copies add up to millions of values though each is one alias', () => {
    const items = Array(5_000).fill('x').join(',');
    const aliases = Array(5_000).fill('*a').join(',');
    const started = Date.now();
    const problems = problemsOf([`x-a: &a [${items}]`, 'deployments:', deployment, `    tags: [${aliases}]`].join('\n'));
    expect(problems).toEqual([expect.stringMatching(/^line 7, column \d+: the aliases up to here copy more than 100000 values in all/)]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('takes aliases that copy a few values many times (a shared anchor across many deployments)', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `d${i}`);
    const text = [
      'x-d: &d { provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", tags: [a, b, c, d, e] }',
      'deployments:',
      ...ids.map((id) => `  - { <<: *d, id: ${id} }`),
    ].join('\n');
    expect(parseConfigText(text, 'many.yaml', {}).deployments).toHaveLength(1000);
  });

  it('refuses a tag it does not know at its line and column, rather than dropping it and reading the value as text', () => {
    const text = ['deployments:', '  - id: a', '    provider: openai-compatible', '    model: m', '    api_key: !ENV OPENAI_API_KEY', '    tags: [!custom x, !<sk-SECRETabc123> y]'].join('\n');
    const problems = problemsOf(text);
    expect(problems.map((p) => p.split(': ')[0])).toEqual(['line 5, column 14', 'line 6, column 12', 'line 6, column 23']);
    expect(problems[0]).toMatch(/an unknown YAML tag \(!name\).*write \$\{NAME\}/);
    expect(problems.join('\n')).not.toContain('SECRETabc123');
  });

  it('says a second document began, in the words of a config rather than of the yaml library', () => {
    expect(problemsOf(['server:', '  port: 4000', '---', 'deployments:', deployment].join('\n'))).toEqual([
      'line 3, column 1: a second YAML document starts here (a --- line after the first): a config is one document; remove the line, or join the two',
    ]);
  });
});

describe('the order of a config file\'s problems', () => {
  it('is the order of their places in the file (line, then column), whichever check found them', () => {
    const text = [
      'serverr:', //                            1: an unknown key at the top
      '  port: 4000',
      'deployments:',
      '  - id: local-llama',
      '    provider: openai-compatible',
      '    model: 42', //                         6: the schema
      '    endpoint: http://127.0.0.1:8000/v1',
      '    max_connections: many', //             8: the schema, on a field the salvage re-parses
      '    api_kye: x', //                        9: the provider's keys
      '  - id: b',
      '    provider: bedrock', //                11: region missing: at its mapping
      '    model: m',
      '    regoin: us-east-1',
      'groups:',
      '  - name: chat',
      '    deployments: [local-llama, b, nope]', // 16: a reference
      '    stratgy: priority',
      'routing:',
      '  max_attempts_per_deployment: 0',
    ].join('\n');
    expect(problemsOf(text).map((p) => p.replace(/:.*/, ''))).toEqual([
      '(root)', // serverr
      'deployments[0].model',
      'deployments[0].max_connections',
      'deployments[0]', // api_kye
      'deployments[1].region',
      'deployments[1]', // regoin
      'groups[0].deployments[2]',
      'groups[0]', // stratgy
      'routing.max_attempts_per_deployment',
    ]);
  });
});
