import { describe, expect, it } from 'vitest';
import type { AdmissionControl } from '../core/events.js';
import { GatewayError } from '../core/errors.js';
import type { ConfigInput } from '../config/schema.js';
import type { ChatRequest, EmbeddingRequest } from '../core/types.js';
import { FakeProvider, rawDeployment, response } from '../routing/testing/fakes.js';
import { userRequest } from '../testing/canonical.js';
import { createGateway } from './gateway.js';

function build(config: ConfigInput) {
  const providers = new Map<string, FakeProvider>();
  let admitted = 0;
  const admission: AdmissionControl = {
    admit: () => {
      admitted += 1;
      return Promise.resolve({ release: () => undefined });
    },
  };
  const gateway = createGateway(config, {
    admission,
    createProvider: (d) => {
      const p = new FakeProvider(d.id);
      providers.set(d.id, p);
      return p;
    },
  });
  return { gateway, admitted: () => admitted, p: (id: string) => providers.get(id) as FakeProvider };
}

/** A request carrying client fields its front door does not map. */
const ask = (passthrough: ChatRequest['passthrough']): ChatRequest => userRequest('chat', 'hi', { passthrough });

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!GatewayError.isInstance(err)) throw new Error('expected a GatewayError');
  return err;
}

describe('fields outside the mapped set', () => {
  const config: ConfigInput = {
    deployments: [rawDeployment('a', { passthrough: ['service_tier'] }), rawDeployment('b', { passthrough: ['service_tier', 'store'] })],
    groups: [{ name: 'chat', strategy: 'priority', deployments: ['a', 'b'] }],
  };

  it('a null value asks for nothing and passes', async () => {
    const { gateway } = build(config);
    expect((await gateway.chat(ask({ data_sources: null }))).servedBy.deployment).toBe('a');
  });

  it('are refused with a 400 naming the field before admission and before any upstream call', async () => {
    const { gateway, admitted, p } = build(config);
    const err = await refusal(gateway.chat(ask({ data_sources: [{ type: 'azure_search' }] })));
    expect(err).toMatchObject({ kind: 'invalid_request', status: 400, param: 'data_sources' });
    expect(admitted()).toBe(0);
    expect(p('a').calls + p('b').calls).toBe(0);
  });

  it('pass when every deployment of the plan lists them, and only then', async () => {
    const { gateway, p } = build(config);
    const { servedBy } = await gateway.chat(ask({ service_tier: 'flex' }));
    expect(servedBy.deployment).toBe('a');
    expect(p('a').requests[0]).toMatchObject({ passthrough: { service_tier: 'flex' } });
    expect((await refusal(gateway.chat(ask({ store: true })))).param).toBe('store');
  });

  it('pass to a pinned deployment that lists them', async () => {
    const { gateway } = build(config);
    const { servedBy } = await gateway.chat(ask({ store: true }), { override: 'b' });
    expect(servedBy.deployment).toBe('b');
  });

  it('in streams and embeddings are refused the same way', async () => {
    const { gateway } = build(config);
    expect((await refusal(gateway.stream(ask({ chat_template: 'x' })))).param).toBe('chat_template');
    const embed: EmbeddingRequest = { model: 'chat', input: ['x'], passthrough: { input_type: 'query' } };
    expect((await refusal(gateway.embed(embed))).param).toBe('input_type');
  });

  it('keep a request away from a special fallback that would not carry them', async () => {
    const { gateway, p } = build({
      deployments: [rawDeployment('strict', { passthrough: ['service_tier'] }), rawDeployment('lax'), rawDeployment('laxer', { passthrough: ['service_tier'] })],
      groups: [{ name: 'chat', deployments: ['strict'], fallbacks: { content_filtered: ['lax', 'laxer'] } }],
    });
    p('strict').answer = () => ({ ...response('partial', 'strict'), finishReason: 'content_filter' });
    const { servedBy } = await gateway.chat(ask({ service_tier: 'flex' }));
    expect(servedBy.deployment).toBe('laxer');
    expect(p('lax').calls).toBe(0);
  });
});
