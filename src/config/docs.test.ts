import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from './load.js';

// The reference config in the docs must stay valid: a doc that drifts from the schema misleads.
describe('docs/CONFIG.md', () => {
  it('holds a config that validates', () => {
    const doc = readFileSync(new URL('../../docs/CONFIG.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(yaml).toBeDefined();
    const config = parseConfigText(yaml ?? '', 'docs/CONFIG.md', { SEARCH_TEAM_KEY: 'k1', OPS_KEY: 'k5', OPENAI_API_KEY: 'k2', AZURE_OPENAI_KEY: 'k3', ANTHROPIC_API_KEY: 'k4' });
    expect(config.deployments.map((d) => d.provider)).toEqual(['openai-compatible', 'bedrock', 'azure-openai', 'vertex', 'anthropic', 'openai-compatible']);
    expect(config.groups.map((g) => g.name)).toEqual(['coding', 'simple', 'analysis', 'vision', 'long-context']);
  });
});
