import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { scrub } from '../core/scrub.js';

const deployment = (id: string) => ({ id, provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' });

function problemsOf(raw: unknown): string[] {
  const r = parseConfig(raw, {});
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('config ids', () => {
  it('reports a repeated api key id and a repeated key by path, never printing the key', () => {
    const problems = problemsOf({
      deployments: [deployment('a')],
      api_keys: [
        { id: 'team', key: 'sk-one' },
        { id: 'team', key: 'sk-two' },
        { id: 'other', key: 'sk-one' },
      ],
    });
    expect(problems).toEqual(['api_keys[1].id: duplicate api key id "team" (first at api_keys[0])', 'api_keys[2].key: the same key as api_keys[0]']);
  });

  it('refuses a tag that would set what a key\'s own fields set (its id, team, user)', () => {
    const problems = problemsOf({ deployments: [deployment('a')], api_keys: [{ id: 'k', key: 'sk', tags: { team: 'red', user: 'ana', key: 'other', project: 'x' } }] });
    expect(problems).toEqual([
      'api_keys[0].tags.team: "team" is not a free tag: set the key\'s team with its own `team` field, not a tag',
      'api_keys[0].tags.user: "user" is not a free tag: set the key\'s user with its own field, not a tag',
      'api_keys[0].tags.key: "key" is not a free tag: the key tag is the key\'s id, set by the gateway',
    ]);
  });

  it('refuses a tag without a name, saying so (not zod\'s "Invalid key in record")', () => {
    expect(problemsOf({ deployments: [deployment('a')], api_keys: [{ id: 'k', key: 'sk', tags: { '': 'x' } }] })).toEqual(['api_keys[0].tags.: a tag needs a name: give it one, or leave the tag out']);
  });

  it('bounds a key\'s team and user as its tag values (every request\'s team and user tags), by path, without quoting them', () => {
    const problems = problemsOf({
      deployments: [deployment('a')],
      api_keys: [
        { id: 'k1', key: 'sk-1', team: 't'.repeat(257), user: 'ana\u2028admin' },
        { id: 'k2', key: 'sk-2', team: 'search\r\nx', user: 'u'.repeat(100_000) },
      ],
    });
    expect(problems).toEqual([
      "api_keys[0].team: it is the key's team tag, and a tag value is at most 256 characters (this has 257): every ledger row of the key copies it",
      "api_keys[0].user: it is the key's user tag, and a tag value must not hold control characters (U+2028 at 3): reports, spreadsheets and terminals show it",
      "api_keys[1].team: it is the key's team tag, and a tag value must not hold control characters (U+000D at 6): reports, spreadsheets and terminals show it",
      "api_keys[1].user: it is the key's user tag, and a tag value is at most 256 characters (this has 100000): every ledger row of the key copies it",
    ]);
    const r = parseConfig({ deployments: [deployment('a')], api_keys: [{ id: 'k', key: 'sk', team: 't'.repeat(256), user: 'Ana Müller (ana@example.com)' }] }, {});
    expect(r.ok && r.config.api_keys[0]?.team).toBe('t'.repeat(256));
  });

  it('bounds a key\'s id as its tag values too (every request\'s key tag)', () => {
    expect(problemsOf({ deployments: [deployment('a')], api_keys: [{ id: 'k'.repeat(257), key: 'sk-1' }] })).toEqual([
      "api_keys[0].id: it is the key's key tag, and a tag value is at most 256 characters (this has 257): every ledger row of the key copies it",
    ]);
    expect(parseConfig({ deployments: [deployment('a')], api_keys: [{ id: 'k'.repeat(256), key: 'sk-1' }] }, {}).ok).toBe(true);
  });

  it('refuses a config key id shaped like a virtual key id once virtual keys are on', () => {
    const keys = [{ id: '0123456789ab', key: 'sk-one' }];
    const on = { hmac_secret: 'x'.repeat(32) };
    const ledger = { enabled: true, store: 'sqlite', path: ':memory:' };
    expect(problemsOf({ deployments: [deployment('a')], api_keys: keys, keys: on, ledger })).toEqual([
      "api_keys[0].id: 12 hex digits is the shape of a virtual key's id; with virtual keys on, give this config key another id (usage, stored responses and limits are kept by id)",
    ]);
    expect(parseConfig({ deployments: [deployment('a')], api_keys: keys }, {}).ok).toBe(true);
  });

  it('gives api keys role user and no allow-lists unless configured', () => {
    const r = parseConfig({ deployments: [deployment('a')], api_keys: [{ id: 'k', key: 'sk' }] }, {});
    const key = r.ok ? r.config.api_keys[0] : undefined;
    expect(key?.role).toBe('user');
    expect([key?.models, key?.groups, key?.allow_direct_deployments]).toEqual([undefined, undefined, undefined]);
    expect(r.ok && r.config.routing.allow_direct_deployments).toBe(false);
  });

  it('takes role: metrics for a scrape key, and refuses on it by path every field that governs model calls', () => {
    const r = parseConfig({ deployments: [deployment('a')], api_keys: [{ id: 'prometheus', key: 'sk-scrape', role: 'metrics', team: 'sre' }] }, {});
    expect(r.ok && r.config.api_keys[0]?.role).toBe('metrics');
    const problems = problemsOf({
      deployments: [deployment('a')],
      api_keys: [{ id: 'prometheus', key: 'sk-scrape', role: 'metrics', models: [], groups: [], allow_direct_deployments: false, residency: 'eu', rate_limit: { requests_per_minute: 1 } }],
    });
    const why = 'a role: metrics key reads GET /metrics only and calls no model; remove this field';
    expect(problems).toEqual(['models', 'groups', 'allow_direct_deployments', 'residency', 'rate_limit'].map((f) => `api_keys[0].${f}: ${why}`));
  });
});

describe('group members', () => {
  const twice = 'is listed twice in this group';

  it('refuses a deployment a group lists twice, naming the repeat and its first entry (it would be tried again after failing, and weigh double)', () => {
    const problems = problemsOf({
      deployments: [deployment('a'), deployment('b')],
      groups: [
        { name: 'chat', deployments: ['a', 'b', 'a'] },
        { name: 'split', strategy: 'weighted', deployments: [{ id: 'b', weight: 1 }, 'a', { id: 'b', weight: 3 }] },
      ],
    });
    expect(problems).toEqual([
      `groups[0].deployments[2]: deployment "a" ${twice} (first at groups[0].deployments[0]): it would be tried again after it failed and get twice its share of traffic; list it once (to change its share, use strategy: weighted with a weight)`,
      expect.stringMatching(/^groups\[1\]\.deployments\[2\]: deployment "b" is listed twice in this group \(first at groups\[1\]\.deployments\[0\]\)/),
    ]);
  });

  it('takes one deployment in several groups, each listing it once', () => {
    expect(parseConfig({ deployments: [deployment('a'), deployment('b')], groups: [{ name: 'chat', deployments: ['a', 'b'] }, { name: 'fast', deployments: ['a'] }] }, {}).ok).toBe(true);
  });
});

describe('budget names', () => {
  it('refuses two budgets of one name, which would share one counter', () => {
    const problems = problemsOf({
      deployments: [deployment('a')],
      budgets: {
        limits: [
          { name: 'team-cap', period: 'daily', match: { team: 'search' }, hard_usd: 10 },
          { name: 'team-cap', period: 'daily', match: { team: 'ads' }, hard_usd: 10 },
        ],
      },
    });
    expect(problems).toEqual(['budgets.limits[1].name: duplicate budget name "team-cap" (first at budgets.limits[0]); each budget needs its own name']);
  });

  it('refuses budget and rate limit names of the keys\' own limits (key:<id>...), whose counters they would share', () => {
    const problems = problemsOf({
      deployments: [deployment('a')],
      budgets: { limits: [{ name: 'key:k1:daily', period: 'daily', per: 'key', hard_usd: 10 }] },
      rate_limits: [{ name: 'key:k1', match: { key: 'k1' }, requests_per_minute: 5 }],
    });
    expect(problems).toEqual([
      'rate_limits[0].name: names starting with "key:" are the API keys\' and virtual keys\' own limits; choose another name',
      'budgets.limits[0].name: names starting with "key:" are the API keys\' and virtual keys\' own limits; choose another name',
    ]);
  });
});

describe('pricing references', () => {
  const price = { input: 1, output: 2 };

  it('refuses a per-deployment price whose key names no deployment, listing the deployments', () => {
    const problems = problemsOf({ deployments: [deployment('vllm-a'), deployment('vllm-b')], pricing: { deployments: { 'vllm-a': price, 'vlm-b': price } } });
    expect(problems).toEqual(['pricing.deployments.vlm-b: unknown deployment "vlm-b"; known: vllm-a, vllm-b']);
  });

  it('refuses a model price for a provider no deployment is priced as, listing the catalog providers', () => {
    const problems = problemsOf({ deployments: [deployment('a')], pricing: { models: [{ provider: 'opneai', model: 'gpt-x', ...price }] } });
    expect(problems).toEqual([expect.stringMatching(/^pricing\.models\[0\]\.provider: unknown provider "opneai"; expected one of anthropic, azure-openai, bedrock, openai, vertex /)]);
  });

  it('names the catalog provider a deployment type is priced as', () => {
    const problems = problemsOf({ deployments: [deployment('a')], pricing: { models: [{ provider: 'openai-compatible', model: 'gpt-x', ...price }] } });
    expect(problems).toEqual(['pricing.models[0].provider: provider "openai-compatible" is priced as "openai"; write provider: openai']);
  });

  it('accepts catalog providers and the targets of provider_aliases', () => {
    const r = parseConfig(
      {
        deployments: [deployment('a')],
        pricing: {
          provider_aliases: { 'openai-compatible': 'groq' },
          models: [
            { provider: 'openai', model: 'gpt-x', ...price },
            { provider: 'groq', model: 'llama-x', ...price },
          ],
          deployments: { a: price },
        },
      },
      {},
    );
    expect(r.ok).toBe(true);
  });
});

describe('deployment endpoints', () => {
  it('refuses credentials in an endpoint URL, which are never sent, without printing them', () => {
    const problems = problemsOf({
      deployments: [
        { ...deployment('a'), endpoint: 'https://gateway:hunter2@vllm.internal/v1' },
        { ...deployment('b'), endpoint: 'https://token-only@vllm.internal/v1' },
      ],
    });
    const why = 'must not hold credentials (user:password@), which are never sent: give them as api_key or headers: { authorization: ... }';
    expect(problems).toEqual([`deployments[0].endpoint: ${why}`, `deployments[1].endpoint: ${why}`]);
    expect(problems.join('\n')).not.toMatch(/hunter2|token-only/);
  });

  it('refuses an endpoint that is not http(s)', () => {
    expect(problemsOf({ deployments: [{ ...deployment('a'), endpoint: 'ftp://vllm.internal/v1' }] })).toEqual(['deployments[0].endpoint: expected an http(s) URL']);
  });

  it('refuses timeout_ms on a deployment, which no code reads, naming the timeouts that exist', () => {
    expect(problemsOf({ deployments: [{ ...deployment('a'), timeout_ms: 30_000 }] })).toEqual([
      "deployments[0].timeout_ms: is not a deployment setting: the attempt timeout is routing.attempt_timeout_ms (streams: routing.ttft_timeout_ms), the connection's connect_timeout_ms",
    ]);
  });
});

describe('server.base_path', () => {
  const basePath = (base_path: unknown) => problemsOf({ deployments: [deployment('a')], server: { base_path } });

  it('takes a prefix of one or more segments and leaves it out by default', () => {
    for (const base_path of ['/llm', '/team-a/llm', '/v1.5', '/%7Euser']) {
      const r = parseConfig({ deployments: [deployment('a')], server: { base_path } }, {});
      expect(r.ok && r.config.server.base_path).toBe(base_path);
    }
    const r = parseConfig({ deployments: [deployment('a')] }, {});
    expect(r.ok && r.config.server.base_path).toBeUndefined();
  });

  it('refuses a prefix the request path could never start with, naming the fix at server.base_path', () => {
    expect(basePath('llm')).toEqual(['server.base_path: must start with / (e.g. /llm)']);
    expect(basePath('/')).toEqual(['server.base_path: must name a prefix: leave base_path out to serve at the root']);
    expect(basePath('/llm/')).toEqual(['server.base_path: must not end with / (/llm)']);
    expect(basePath('/llm?x=1')).toEqual(['server.base_path: must be a path only, without a query (?) or fragment (#)']);
    expect(basePath('/llm#top')).toEqual(['server.base_path: must be a path only, without a query (?) or fragment (#)']);
    expect(basePath('/a//llm')).toEqual(['server.base_path: must not hold an empty segment (//)']);
    expect(basePath('/a/../llm')).toEqual(['server.base_path: must not hold a . or .. segment']);
    expect(basePath('/a/./llm')).toEqual(['server.base_path: must not hold a . or .. segment']);
    expect(basePath('/l m')).toEqual(["server.base_path: may hold only letters, digits, - . _ ~ ! $ & ' ( ) * + , ; = : @ and %XX escapes"]);
  });
});

describe('ledger usage query bounds', () => {
  const base = { deployments: [deployment('a')], groups: [{ name: 'g', deployments: ['a'] }] };

  it('bounds the usage queries a process takes at once to 8 by default', () => {
    const r = parseConfig(base, {});
    expect(r.ok && [r.config.ledger.usage_queries_per_caller, r.config.ledger.usage_queries_max]).toEqual([2, 8]);
  });

  it('refuses a bound that is not a whole number of at least 1, at ledger.usage_queries_max', () => {
    for (const bad of [0, 2.5, '8']) expect(problemsOf({ ...base, ledger: { usage_queries_max: bad } }).map((p) => p.split(':')[0])).toEqual(['ledger.usage_queries_max']);
  });
});

describe('deployment headers', () => {
  it('lets the scrubber know the credentials a deployment sends in its headers, not its other headers', () => {
    const parsed = parseConfig({
      deployments: [
        {
          id: 'proxied',
          provider: 'openai-compatible',
          model: 'm',
          endpoint: 'https://proxy.example/v1',
          headers: { authorization: 'Bearer hdr-bearer-4Fq8Zk2', 'x-proxy-token': 'hdr-proxy-9Lw3Tn6', 'x-team': 'platform-east' },
        },
      ],
    });
    expect(parsed.ok).toBe(true);
    expect(scrub('bad token hdr-bearer-4Fq8Zk2, proxy hdr-proxy-9Lw3Tn6, team platform-east')).toBe('bad token [redacted], proxy [redacted], team platform-east');
  });
});

describe('server.keep_alive_timeout_ms', () => {
  it("defaults to 65 s, and takes the 620 s a Google Cloud load balancer's 600 s backend keep-alive needs", () => {
    const r = parseConfig({ deployments: [deployment('a')] }, {});
    expect(r.ok && r.config.server.keep_alive_timeout_ms).toBe(65_000);
    const google = parseConfig({ deployments: [deployment('a')], server: { keep_alive_timeout_ms: 620_000 } }, {});
    expect(google.ok && google.config.server.keep_alive_timeout_ms).toBe(620_000);
  });

  it("refuses 0, which turns Node's idle timeout off, naming the setting's path", () => {
    expect(problemsOf({ deployments: [deployment('a')], server: { keep_alive_timeout_ms: 0 } })).toEqual([
      'server.keep_alive_timeout_ms: must be positive (0 would keep idle connections open forever); set it above the idle timeout of the load balancer in front',
    ]);
  });

  it('is independent of headers_timeout_ms: Node 20 times headers from a request\'s first byte, not over the idle time before it', () => {
    expect(parseConfig({ deployments: [deployment('a')], server: { keep_alive_timeout_ms: 620_000, headers_timeout_ms: 10_000 } }, {}).ok).toBe(true);
  });
});

describe('server.server_timing', () => {
  it('is off unless asked for (it tells clients the upstream\'s timing), and takes only true or false, at its path', () => {
    const r = parseConfig({ deployments: [deployment('a')] }, {});
    expect(r.ok && r.config.server.server_timing).toBe(false);
    const on = parseConfig({ deployments: [deployment('a')], server: { server_timing: true } }, {});
    expect(on.ok && on.config.server.server_timing).toBe(true);
    for (const bad of ['yes', 1]) expect(problemsOf({ deployments: [deployment('a')], server: { server_timing: bad } }).map((p) => p.split(':')[0])).toEqual(['server.server_timing']);
  });
});

describe('config checks found in review', () => {
  it('refuses an empty server.host, which would listen on every interface', () => {
    expect(problemsOf({ deployments: [deployment('a')], server: { host: '' } })).toEqual([expect.stringMatching(/^server\.host: must name the address to listen on/)]);
  });

  it('refuses to listen beyond loopback with no keys, where every caller would be an admin, unless told something in front authenticates', () => {
    const open = { deployments: [deployment('a')], server: { host: '0.0.0.0' } };
    expect(problemsOf(open)).toEqual([expect.stringMatching(/^server\.host: listens beyond this host \(0\.0\.0\.0\) with no api_keys and no virtual keys: every caller would be an admin/)]);
    expect(problemsOf({ ...open, server: { host: '10.0.0.5' } })).toHaveLength(1);
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(parseConfig({ ...open, server: { host } }, {}).ok, host).toBe(true);
    expect(parseConfig({ ...open, server: { host: '0.0.0.0', allow_unauthenticated: true } }, {}).ok).toBe(true);
    expect(parseConfig({ ...open, api_keys: [{ id: 'app', key: 'sk-app-0123456789abcdef' }] }, {}).ok).toBe(true);
  });

  it('refuses budgets.state redis without state.redis_url, at budgets.state, as serve would', () => {
    expect(problemsOf({ deployments: [deployment('a')], budgets: { state: 'redis', limits: [{ name: 'b', period: 'daily', hard_usd: 1 }] } })).toEqual([
      'budgets.state: budgets.state "redis" needs state.redis_url (e.g. ${REDIS_URL})',
    ]);
    // No budget to count (no limits, no virtual keys): serve opens no counters, so neither refuses it.
    expect(parseConfig({ deployments: [deployment('a')], budgets: { state: 'redis' } }, {}).ok).toBe(true);
  });

  it('names the alias that clashes with another group\'s name by its own path', () => {
    const groups = [
      { name: 'chat', deployments: ['a'] },
      { name: 'fast', aliases: ['quick', 'chat'], deployments: ['a'] },
    ];
    expect(problemsOf({ deployments: [deployment('a')], groups })).toEqual(['groups[1].aliases[1]: model name "chat" is already used by groups[0]']);
  });
});

describe('store URLs', () => {
  const base = { deployments: [deployment('a')] };

  it('refuses a ledger.url that is no URL or not postgres, and a redis_url that is not redis, by path, never quoting the URL', () => {
    const problems = problemsOf({
      ...base,
      ledger: { store: 'postgres', url: 'postgres://u:pgS3cretXYZ@127.0.0.1:notaport/db' },
      state: { store: 'redis', redis_url: 'http://:rdS3cretXYZ@127.0.0.1:6379' },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^state\.redis_url: must be a redis:\/\/ or rediss:\/\/ URL, such as redis:\/\/:\$\{REDIS_PASSWORD\}@redis:6379 \(not shown: it may hold a password\)$/),
      expect.stringMatching(/^ledger\.url: is not a URL \(not shown: it may hold a password\); expected a postgres:\/\/ or postgresql:\/\/ URL/),
    ]);
    expect(problems.join('\n')).not.toMatch(/S3cretXYZ/);
    for (const url of ['not a url', 'mysql://u@db/x']) expect(problemsOf({ ...base, ledger: { store: 'postgres', url } })).toEqual([expect.stringMatching(/^ledger\.url: /)]);
  });

  it('takes postgres, postgresql (a Unix socket too), redis and rediss URLs, and an empty one as not set', () => {
    for (const url of ['postgres://u:p@db:5432/x', 'postgresql:///switchyard?host=/var/run/postgresql', '']) {
      expect(parseConfig({ ...base, ledger: { store: 'sqlite', url } }, {}).ok).toBe(true);
    }
    for (const redis_url of ['redis://:p@redis:6379', 'rediss://redis:6380/0']) expect(parseConfig({ ...base, state: { store: 'redis', redis_url } }, {}).ok).toBe(true);
  });

  it('takes state.redis_mode cluster (standalone by default) with a redis or rediss URL of one node, user and password included', () => {
    for (const redis_url of ['rediss://app:p@clustercfg.x.cache.amazonaws.com:6379', 'redis://10.0.0.5:6379/0']) {
      const parsed = parseConfig({ ...base, state: { store: 'redis', redis_url, redis_mode: 'cluster' } }, {});
      expect(parsed.ok && parsed.config.state.redis_mode).toBe('cluster');
    }
    const plain = parseConfig({ ...base, state: { store: 'redis', redis_url: 'redis://redis:6379/2' } }, {});
    expect(plain.ok && plain.config.state.redis_mode).toBe('standalone');
  });

  it('refuses, in cluster mode, a database number or query options in state.redis_url without quoting it, a brace in state.key_prefix, and an unknown mode', () => {
    const cluster = (state: Record<string, unknown>) => problemsOf({ ...base, state: { store: 'redis', redis_mode: 'cluster', redis_url: 'redis://:rdS3cretXYZ@r:6379', ...state } });
    expect(cluster({ redis_url: 'redis://:rdS3cretXYZ@r:6379/2' })).toEqual([
      'state.redis_url: with redis_mode "cluster", a Redis Cluster has only database 0; leave the database number out (not shown: it may hold a password)',
    ]);
    expect(cluster({ redis_url: 'rediss://:rdS3cretXYZ@r:6379?family=6' })).toEqual([
      'state.redis_url: with redis_mode "cluster", the URL takes no query options (the scheme, user, password, host and port only) (not shown: it may hold a password)',
    ]);
    // A brace would make Redis hash another part of each key than {budget}, {ratelimit} or {state}: CROSSSLOT.
    expect(cluster({ key_prefix: 'sy{a}:' })).toEqual([expect.stringMatching(/^state\.key_prefix: with redis_mode "cluster", must not contain \{ or \}/)]);
    expect(cluster({ redis_mode: 'sentinel' })).toEqual([expect.stringMatching(/^state\.redis_mode: /)]);
    // Standalone keeps what it always took.
    expect(parseConfig({ ...base, state: { store: 'redis', redis_url: 'redis://r:6379/2?family=6', key_prefix: 'sy{a}:' } }, {}).ok).toBe(true);
  });
});
