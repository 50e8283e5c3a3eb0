import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { redactedConfig } from '../ops/redact.js';

const deployment = { id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' };
const budget = (webhook: string) => ({ name: 'b', period: 'daily', soft_usd: 1, webhook });

function problemsAt(raw: Record<string, unknown>): Record<string, string> {
  const r = parseConfig({ deployments: [deployment], ...raw }, {});
  if (r.ok) throw new Error('expected the config to be invalid');
  return Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
}

const USERINFO = 'must not hold credentials (user:password@), which are never sent';

// fetch (webhooks, metadata) refuses a URL with credentials and quotes it whole in the error the gateway
// logs; undici's request (OTLP) drops them silently. Either way the credential never authenticates.
describe('credentials in URL fields', () => {
  it('refuses user:password@ in the tracing endpoint, the metadata URL, budget webhooks and the Entra authority host, never quoting the URL', () => {
    const problems = problemsAt({
      observability: { tracing: { enabled: true, endpoint: 'https://svc:hunter2@otel.example.com/v1/traces' } },
      interruption: { provider: 'aws', metadata_url: 'http://imds:hunter2@169.254.169.254' },
      budgets: { limits: [budget('https://bot:hunter2@hooks.example.com/notify')] },
    });
    expect(problems['observability.tracing.endpoint']).toBe(`${USERINFO}: use headers (e.g. authorization: \${OTLP_TOKEN}), whose values are secrets`);
    expect(problems['interruption.metadata_url']).toBe(`${USERINFO}: a metadata service takes none`);
    expect(problems['budgets.limits[0].webhook']).toMatch(new RegExp(`^${USERINFO.replace(/[()]/g, '\\$&')}: put the receiver's token in the URL's path or query`));
    const entra = problemsAt({
      deployments: [
        {
          id: 'az', provider: 'azure-openai', model: 'm', endpoint: 'https://r.openai.azure.com', api_version: '2024-10-21',
          auth: { type: 'entra', credential: 'client_secret', tenant_id: 't', client_id: 'c', client_secret: 's', authority_host: 'https://u:hunter2@login.microsoftonline.us' },
        },
      ],
    });
    expect(entra['deployments[0].auth.authority_host']).toBe(`${USERINFO}: the client secret is client_secret`);
    expect(JSON.stringify([problems, entra])).not.toMatch(/hunter2/);
  });

  it('refuses a credential in the tracing endpoint\'s query, naming the parameter and not its value; other parameters are kept', () => {
    const problems = problemsAt({ observability: { tracing: { enabled: true, endpoint: 'https://otel.example.com/v1/traces?tenant=a&api_key=hunter2&accessToken=hunter2' } } });
    expect(problems['observability.tracing.endpoint']).toBe('must not carry a credential in its query (api_key, accessToken), which would show wherever the URL is logged: use headers (e.g. authorization: ${OTLP_TOKEN}), whose values are secrets');
    expect(JSON.stringify(problems)).not.toMatch(/hunter2/);
    // A bare ?<token> is not quoted as though it were a parameter's name.
    const bare = problemsAt({ observability: { tracing: { enabled: true, endpoint: 'https://otel.example.com/v1/traces?hunter2-key&token=x' } } });
    expect(bare['observability.tracing.endpoint']).toMatch(/\(token\)/);
    expect(JSON.stringify(bare)).not.toMatch(/hunter2/);
    const r = parseConfig({ deployments: [deployment], observability: { tracing: { enabled: true, endpoint: 'https://otel.example.com/v1/traces?tenant=a' } } }, {});
    expect(r.ok).toBe(true);
  });

  it('refuses a query or fragment on URLs the gateway appends paths to (endpoints, the metadata URL)', () => {
    const problems = problemsAt({
      deployments: [{ ...deployment, endpoint: 'https://vllm.internal/v1?api_key=hunter2' }, { id: 'b', provider: 'bedrock', model: 'm', region: 'us-east-1', endpoint: 'https://vpce.example.com/#x' }],
      interruption: { provider: 'aws', metadata_url: 'http://169.254.169.254?x=1' },
    });
    const why = 'must not have a query or fragment (?... #...): the gateway appends its paths to this URL';
    expect([problems['deployments[0].endpoint'], problems['deployments[1].endpoint'], problems['interruption.metadata_url']]).toEqual([why, why, why]);
    expect(JSON.stringify(problems)).not.toMatch(/hunter2/);
  });

  it('keeps a webhook\'s token in its query (how many receivers authenticate), shown only by origin', () => {
    const webhook = 'https://hooks.example.com/notify?token=hunter2';
    const r = parseConfig({ deployments: [deployment], budgets: { limits: [budget(webhook)] } }, {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.budgets.limits[0]?.webhook).toBe(webhook);
    expect(JSON.stringify(redactedConfig(r.config))).not.toMatch(/hunter2/);
  });

  it('does not quote a webhook that is no http(s) URL (its path is its credential)', () => {
    const problems = problemsAt({ budgets: { limits: [budget('ftp://hooks.slack.com/services/T0/B0/hunter2')] } });
    expect(problems['budgets.limits[0].webhook']).toBe('expected an http(s) URL');
  });
});

describe('URL hosts', () => {
  it('refuses a URL whose host is not written after //, which the URL parser would take from its path', () => {
    for (const endpoint of ['https:///v1', 'http:v1', 'http:/v1', 'http:\\\\host/v1']) {
      expect(problemsAt({ deployments: [{ ...deployment, endpoint }] })['deployments[0].endpoint']).toBe("must name a host after the scheme's // (https://host[:port]/path)");
    }
  });

  it('takes a host name, an IPv6 address and a port as written', () => {
    for (const endpoint of ['https://api.example.com/v1', 'http://[::1]:8080/v1', 'HTTP://127.0.0.1:9']) {
      expect(parseConfig({ deployments: [{ ...deployment, endpoint }] }, {}).ok).toBe(true);
    }
  });
});

describe('a URL refused', () => {
  it('says one thing about one field: no second problem after the URL check refused it', () => {
    const problems = (raw: Record<string, unknown>) => {
      const r = parseConfig({ deployments: [deployment], ...raw }, {});
      if (r.ok) throw new Error('expected the config to be invalid');
      return r.problems;
    };
    expect(problems({ observability: { tracing: { enabled: true, endpoint: 'localhost:4318' } } })).toEqual([
      { path: 'observability.tracing.endpoint', message: 'expected an http(s) URL such as http://otel-collector:4318/v1/traces' },
    ]);
    expect(problems({ deployments: [{ ...deployment, endpoint: 'https:///v1' }] })).toEqual([
      { path: 'deployments[0].endpoint', message: "must name a host after the scheme's // (https://host[:port]/path)" },
    ]);
  });

  it('names a port out of range (1-65535) rather than calling it no URL', () => {
    const problems = problemsAt({
      deployments: [
        { ...deployment, endpoint: 'https://example.com:99999/v1' },
        { ...deployment, id: 'b', endpoint: 'http://[::1]:65536' },
        { ...deployment, id: 'c', endpoint: 'http://example.com:0/v1' },
      ],
      budgets: { limits: [budget('https://hooks.example.com:70000/notify?token=hunter2')] },
    });
    expect(problems['deployments[0].endpoint']).toBe('its port 99999 is out of range: a port is 1-65535');
    expect(problems['deployments[1].endpoint']).toBe('its port 65536 is out of range: a port is 1-65535');
    expect(problems['deployments[2].endpoint']).toBe('its port 0 is out of range: a port is 1-65535');
    expect(problems['budgets.limits[0].webhook']).toBe('its port 70000 is out of range: a port is 1-65535');
    expect(JSON.stringify(problems)).not.toMatch(/hunter2/);
    // Another scheme is still named as such, whatever its port.
    expect(problemsAt({ deployments: [{ ...deployment, endpoint: 'ftp://example.com:99999/v1' }] })['deployments[0].endpoint']).toBe('expected an http(s) URL');
  });
});
