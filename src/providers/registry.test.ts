import { describe, expect, it, vi } from 'vitest';
import * as z from '../config/zod.js';
import { parseConfig } from '../config/load.js';
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
});
