import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';

const deployment = { id: 'a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' };

function problemsOf(raw: unknown, env: Record<string, string>): string {
  const r = parseConfig(raw, env);
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}

describe('secrets a variable filled in', () => {
  it('quotes a variable that is only part of a tracing header as written, where another error would quote its value', () => {
    const text = problemsOf(
      {
        deployments: [deployment],
        logging: { level: '${OTLP_TOKEN}' },
        observability: { tracing: { enabled: true, endpoint: 'http://127.0.0.1:4318/v1/traces', headers: { authorization: 'Bearer ${OTLP_TOKEN}' } } },
      },
      { OTLP_TOKEN: 'otlptokensecret555' },
    );
    expect(text).toContain('logging.level:');
    expect(text).toContain('${OTLP_TOKEN}');
    expect(text).not.toContain('otlptokensecret555');
  });

  it('quotes a password inside a store URL as written, in ledger.url and state.redis_url alike', () => {
    const text = problemsOf(
      {
        deployments: [deployment],
        default_group: '${PGPASS}',
        logging: { level: '${REDIS_PASSWORD}' },
        ledger: { store: 'postgres', url: 'postgres://u:${PGPASS}@127.0.0.1:5432/db' },
        state: { store: 'redis', redis_url: 'redis://:${REDIS_PASSWORD}@127.0.0.1:6379' },
      },
      { PGPASS: 'pgS3cretXYZ', REDIS_PASSWORD: 'rdS3cretXYZ' },
    );
    expect(text).toContain('default_group: unknown group "${PGPASS}"');
    expect(text).toContain('logging.level:');
    expect(text).not.toMatch(/pgS3cretXYZ|rdS3cretXYZ/);
  });

  it('withholds a short secret part only where it stands as a word, leaving the rest of the message readable', () => {
    const text = problemsOf(
      { deployments: [deployment], default_group: '${PW}', ledger: { store: 'postgres', url: 'postgres://u:${PW}@127.0.0.1:5432/db' } },
      { PW: 'gro' },
    );
    expect(text).toContain('default_group: unknown group "${PW}"');
    expect(text).not.toContain('"gro"');
  });

  it('quotes a variable used in a secret file path as read: the path is no secret', () => {
    const text = problemsOf({ deployments: [{ ...deployment, api_key: 'file:${DIR}/missing-key' }], default_group: '${DIR}' }, { DIR: '/nonexistent-dir-xyz' });
    expect(text).toContain('default_group: unknown group "/nonexistent-dir-xyz"');
  });
});
