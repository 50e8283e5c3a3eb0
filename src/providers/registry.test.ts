import { describe, expect, it, vi } from 'vitest';
import * as z from '../config/zod.js';
import { parseConfig, resolveConfig } from '../config/load.js';
import { silentLogger } from '../core/logger.js';
import { defineProvider, PROVIDERS } from './registry.js';

describe('provider registry', () => {
  it("builds a provider's options schema on first use, once", () => {
    const build = vi.fn(() => z.looseObject({ flavour: z.string().default('plain') }));
    const registered = defineProvider({ type: 'probe', options: build, create: () => ({}) as never });
    expect(build).not.toHaveBeenCalled();
    expect(registered.options().parse({})).toEqual({ flavour: 'plain' });
    registered.options();
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('builds only the option schemas of the provider types a config names', () => {
    const spies = PROVIDERS.map((p) => [p.type, vi.spyOn(p, 'options')] as const);
    try {
      parseConfig({ deployments: [{ id: 'a', provider: 'anthropic', model: 'claude-sonnet-4-5', api_key: 'sk-test' }] });
      expect(spies.filter(([, spy]) => spy.mock.calls.length > 0).map(([type]) => type)).toEqual(['anthropic']);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('declares prefill per Claude model on the Anthropic API, Vertex and Bedrock, so stream resume sends a model without it an instruction instead', () => {
    const config = resolveConfig({
      deployments: [
        { id: 'anthropic-old', provider: 'anthropic', model: 'claude-sonnet-4-5', api_key: 'sk-test' },
        { id: 'anthropic-new', provider: 'anthropic', model: 'claude-sonnet-4-6', api_key: 'sk-test' },
        { id: 'vertex-old', provider: 'vertex', publisher: 'anthropic', model: 'claude-opus-4-5@20251101', project: 'p', region: 'us-east5' },
        { id: 'vertex-new', provider: 'vertex', publisher: 'anthropic', model: 'claude-opus-4-6', project: 'p', region: 'us-east5' },
        { id: 'bedrock-old', provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1' },
        { id: 'bedrock-new', provider: 'bedrock', model: 'us.anthropic.claude-opus-4-7', region: 'us-east-1' },
      ],
    });
    const prefill = Object.fromEntries(
      config.deployments.map((d) => {
        const provider = (PROVIDERS.find((p) => p.type === d.provider) as (typeof PROVIDERS)[number]).create(d, d.options, { logger: silentLogger });
        void provider.close();
        return [d.id, provider.prefill];
      }),
    );
    expect(prefill).toEqual({ 'anthropic-old': true, 'anthropic-new': false, 'vertex-old': true, 'vertex-new': false, 'bedrock-old': true, 'bedrock-new': false });
  });
});
