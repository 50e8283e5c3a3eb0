import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { explainResidency } from './explain.js';
import { rawDeployment } from './testing/fakes.js';

const eu = (id: string, region = 'eu-west-1') => rawDeployment(id, { tags: ['eu'], region });

function config(over: Partial<ConfigInput>) {
  return resolveConfig(
    {
      deployments: [eu('claude-eu'), eu('gemini-eu', 'europe-west4'), rawDeployment('gpt-us', { region: 'us-east-1' })],
      groups: [{ name: 'chat', aliases: ['default-chat'], deployments: ['claude-eu', 'gpt-us'] }],
      residency: { eu: { regions: ['eu-*', 'europe-*'] } },
      api_keys: [
        { id: 'ana', key: 'k-ana', team: 'research', residency: 'eu' },
        { id: 'bo', key: 'k-bo', team: 'research' },
      ],
      ...over,
    },
    {},
  );
}

describe('check-config --explain', () => {
  it('lists what each key, team and residency reaches, filtering out deployments outside the residency', () => {
    const e = explainResidency(config({}));
    expect(e.leaks).toEqual([]);
    const ana = e.subjects.find((s) => s.subject === 'key ana');
    expect(ana?.paths.map((p) => p.route)).toEqual(['chat (or default-chat) → claude-eu']);
    const bo = e.subjects.find((s) => s.subject === 'key bo');
    expect(bo?.paths.map((p) => p.deployment)).toEqual(['claude-eu', 'gpt-us']);
    expect(e.subjects.find((s) => s.subject === 'team research')?.paths.map((p) => p.deployment)).toEqual(['claude-eu', 'gpt-us']);
    expect(e.subjects.find((s) => s.subject === 'residency eu (x-switchyard-residency)')?.paths.map((p) => p.deployment)).toEqual(['claude-eu']);
  });

  it('lists no reach for a role: metrics key, nor for its team: it calls no model', () => {
    const e = explainResidency(config({ api_keys: [{ id: 'prometheus', key: 'k-scrape', team: 'sre', role: 'metrics' }] }));
    expect(e.subjects.map((s) => s.subject)).toEqual([]);
  });

  it('lists what the anonymous caller of a gateway without api_keys reaches', () => {
    const e = explainResidency(config({ api_keys: [], residency: {}, routing: { allow_direct_deployments: true } }));
    expect(e.subjects.map((s) => s.subject)).toEqual(['any caller (no api_keys)']);
    expect(e.subjects[0]?.residency).toBeUndefined();
    expect(e.subjects[0]?.paths.map((p) => p.route)).toEqual([
      'chat (or default-chat) → claude-eu',
      'chat (or default-chat) → gpt-us',
      'direct claude-eu',
      'direct gemini-eu',
      'direct gpt-us',
    ]);
    expect(e.leaks).toEqual([]);
  });

  it('names a context-window fallback that leaves the residency', () => {
    const e = explainResidency(
      config({
        deployments: [eu('claude-eu'), eu('big', 'us-east-1'), rawDeployment('gpt-us', { region: 'us-east-1' })],
        groups: [
          { name: 'chat', deployments: ['claude-eu'], fallbacks: { context_window_exceeded: ['long'] } },
          { name: 'long', deployments: ['big'] },
        ],
      }),
    );
    expect(e.leaks).toContain('key ana: chat → fallbacks.context_window_exceeded → long → big (region us-east-1 is outside residency eu: eu-*, europe-*)');
  });

  it('names leaking content-filter fallbacks, shadows and direct names, and deployments without a region', () => {
    const e = explainResidency(
      config({
        deployments: [eu('claude-eu'), eu('lax', 'us-west-2'), rawDeployment('mirror', { tags: ['eu'] })],
        groups: [{ name: 'chat', deployments: ['claude-eu'], fallbacks: { content_filtered: ['lax'] }, shadow: { share: 0.1, deployments: ['mirror'] } }],
        routing: { allow_direct_deployments: true },
      }),
    );
    expect(e.leaks).toEqual(
      expect.arrayContaining([
        'key ana: chat → fallbacks.content_filtered → lax (region us-west-2 is outside residency eu: eu-*, europe-*)',
        'key ana: chat → shadow → mirror (no region configured; residency eu allows eu-*, europe-*)',
        'key ana: direct lax (region us-west-2 is outside residency eu: eu-*, europe-*)',
        'residency eu (x-switchyard-residency): direct lax (region us-west-2 is outside residency eu: eu-*, europe-*)',
      ]),
    );
    // Unrestricted callers have no regions to leave.
    expect(e.leaks.some((l) => l.startsWith('key bo'))).toBe(false);
  });

  it('fails the command and names the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-explain-'));
    const file = join(dir, 'leak.yaml');
    writeFileSync(
      file,
      [
        'deployments:',
        '  - { id: claude-eu, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", region: eu-west-1, tags: [eu] }',
        '  - { id: big, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", region: us-east-1, tags: [eu] }',
        'groups:',
        '  - { name: chat, deployments: [claude-eu], fallbacks: { context_window_exceeded: [big] } }',
        'residency: { eu: { regions: ["eu-*"] } }',
        'api_keys: [{ id: ana, key: k-ana, residency: eu }]',
      ].join('\n'),
    );
    const out: string[] = [];
    const err: string[] = [];
    expect(await main(['check-config', file, '--explain'], { out: (l) => out.push(l), err: (l) => err.push(l), env: {} })).toBe(1);
    expect(out).toContain('  chat → fallbacks.context_window_exceeded → big (us-east-1)  LEAK: region us-east-1 is outside residency eu: eu-*');
    expect(err.join('\n')).toContain('key ana: chat → fallbacks.context_window_exceeded → big');
    writeFileSync(file, 'deployments:\n  - { id: a, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1", region: eu-west-1, tags: [eu] }\ngroups:\n  - { name: chat, deployments: [a] }\nresidency: { eu: { regions: ["eu-*"] } }\n');
    expect(await main(['check-config', file, '--explain'], { out: () => undefined, err: () => undefined, env: {} })).toBe(0);
  });
});
