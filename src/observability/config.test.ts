import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';

const deployment = { id: 'a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' };

function tracingProblems(headers: Record<string, string>, env: Record<string, string> = {}): string[] {
  const r = parseConfig({ deployments: [deployment], observability: { tracing: { enabled: true, endpoint: 'http://127.0.0.1:4318/v1/traces', headers } } }, env);
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('tracing headers', () => {
  it('refuses a header name that is no token, or one that frames the request, by path, as deployment headers are', () => {
    expect(tracingProblems({ 'bad name': 'x', 'content-length': '5' })).toEqual([
      'observability.tracing.headers.bad name: the header is not a valid header name',
      'observability.tracing.headers.content-length: the header frames the request or the connection, which the upstream client sets itself',
    ]);
  });

  it('refuses a header value with a line break, from a variable too, without printing it', () => {
    const problems = tracingProblems({ authorization: 'Bearer ${OTLP_TOKEN}' }, { OTLP_TOKEN: 'otlpsecret\r\nx-evil: 1' });
    expect(problems).toEqual([expect.stringMatching(/^observability\.tracing\.headers\.authorization: the value has a character a header value cannot carry/)]);
    expect(problems.join('\n')).not.toContain('otlpsecret');
  });
});
