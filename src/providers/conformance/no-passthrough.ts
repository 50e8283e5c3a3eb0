import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../../config/load.js';
import { ask, TOOL, type ConformanceSuite } from './suite.js';

/** Only mapped fields reach the upstream, unless the deployment's passthrough list names them. */
export function noPassthroughSpecs(s: ConformanceSuite): void {
  describe('no passthrough', () => {
    const apiError = (e: unknown) => e as InstanceType<typeof OpenAI.APIError>;
    // Extension fields real clients send (Azure "On Your Data", vLLM): not in the SDK's types.
    const extra = { data_sources: [{ type: 'azure_search', parameters: { endpoint: 'https://search.example' } }], chat_template: '{{ messages }}' };
    const sentBody = (): Record<string, unknown> => JSON.parse(s.setup.sim.lastRequest?.body.toString('utf8') ?? '{}') as Record<string, unknown>;

    it('refuses an unknown field with a 400 naming it, and calls no upstream', async () => {
      const before = s.setup.sim.stats.total;
      const params = { model: 'conf', messages: ask('hello'), ...extra };
      const err = apiError(await s.client.chat.completions.create(params).catch((e: unknown) => e));
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(400);
      expect(err.param).toBe('data_sources');
      expect(err.message).toContain('data_sources');
      const streamParams = { model: 'conf', messages: ask('hello'), stream: true as const, chat_template: '{{ x }}' };
      const streamed = apiError(await s.client.chat.completions.create(streamParams).catch((e: unknown) => e));
      expect(streamed.status).toBe(400);
      expect(streamed.param).toBe('chat_template');
      expect(s.setup.sim.stats.total).toBe(before);
    });

    it('sends an upstream body of mapped keys only', async () => {
      await s.client.chat.completions.create({
        model: 'conf',
        messages: ask('Please call the tool for mapped keys'),
        temperature: 0.5,
        top_p: 0.9,
        max_tokens: 50,
        stop: ['zzz'],
        user: 'u-1',
        seed: 7,
        tools: [TOOL],
        tool_choice: 'auto',
      });
      const keys = Object.keys(sentBody());
      expect(keys.length).toBeGreaterThan(1);
      for (const key of keys) expect(s.setup.wireKeys).toContain(key);
    });

    it('lets exactly the fields of the passthrough list through', async (ctx) => {
      const pass = s.setup.passthrough;
      if (pass === 'refused') return ctx.skip();
      const params = { model: 'conf-pass', messages: ask('hello'), [pass.field]: pass.value };
      const withUnlisted = { ...params, chat_template: 'x' };
      const refused = apiError(await s.client.chat.completions.create(withUnlisted).catch((e: unknown) => e));
      expect(refused.status).toBe(400);
      expect(refused.param).toBe('chat_template');
      const r = await s.client.chat.completions.create(params);
      expect(r.choices[0]?.message.content).toContain('You said: hello');
      expect(pass.carried(sentBody())).toEqual(pass.value);
      // The same field to a deployment that does not list it is refused.
      const elsewhere = apiError(await s.client.chat.completions.create({ ...params, model: 'conf' }).catch((e: unknown) => e));
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.param).toBe(pass.field);
    });

    it('refuses passthrough at config load where the wire format cannot carry it', (ctx) => {
      if (s.setup.passthrough !== 'refused') return ctx.skip();
      const parsed = parseConfig({ deployments: [{ ...s.setup.deployment, id: 'x', passthrough: ['service_tier'] }] }, s.setup.env ?? {});
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.problems.map((p) => p.path)).toContain('deployments[0].passthrough');
    });

    it('refuses an unknown embeddings field with a 400 naming it', async (ctx) => {
      if (!s.setup.embeddingDeployment) return ctx.skip();
      const before = s.setup.sim.stats.total;
      const err = apiError(await s.client.embeddings.create({ model: 'embed', input: 'alpha', input_type: 'query' } as OpenAI.EmbeddingCreateParams).catch((e: unknown) => e));
      expect(err.status).toBe(400);
      expect(err.param).toBe('input_type');
      expect(s.setup.sim.stats.total).toBe(before);
    });
  });
}
