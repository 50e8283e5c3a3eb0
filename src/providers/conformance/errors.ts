import { expect, it } from 'vitest';
import OpenAI from 'openai';
import { ask, type ConformanceSuite } from './suite.js';

/** The upstream's errors, mapped to the taxonomy's status and OpenAI's code for it; a broken stream ends in an error. */
export function errorSpecs(s: ConformanceSuite): void {
  const kinds = ['rate_limited', 'unavailable', 'context_window_exceeded', 'invalid_request', 'content_filtered', 'authentication'] as const;
  for (const kind of kinds) {
    it(`maps the upstream's ${kind} error to the taxonomy`, async (ctx) => {
      const c = s.setup.errors[kind];
      if (!c) return ctx.skip();
      s.setup.sim.faults.add({ ...c.fault, count: 1 });
      const err = await s.client.chat.completions.create({ model: 'conf', messages: ask('trigger') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(c.status);
      expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe(c.code);
    });
  }

  it('surfaces a mid-stream failure as an error, never a clean end', async () => {
    s.setup.sim.faults.add({ ...s.setup.midStreamFault, count: 1 });
    const stream = await s.client.chat.completions.create({ model: 'conf', messages: ask('this stream will break after a while'), stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow();
    expect(text.length).toBeGreaterThan(0);
  });
}
