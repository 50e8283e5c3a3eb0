import { describe, expect, it } from 'vitest';
import type { AdmissionControl, AttemptRecord } from '../core/events.js';
import { GatewayError } from '../core/errors.js';
import { estimatePromptTokens } from '../core/estimate.js';
import type { CallContext } from '../core/provider.js';
import type { ChatRequest } from '../core/types.js';
import type { ConfigInput } from '../config/schema.js';
import { accessFor } from '../routing/access.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { userRequest } from '../testing/canonical.js';
import { createGateway } from './gateway.js';

/** A fake upstream with a free counter: ten tokens a message, unless told to fail or hang. */
class CountingProvider extends FakeProvider {
  readonly counted: ChatRequest[] = [];
  countScript: () => 'ok' | 'fail' | 'hang' = () => 'ok';

  countTokens(request: ChatRequest, ctx: CallContext): Promise<number> {
    this.counted.push(request);
    const outcome = this.countScript();
    if (outcome === 'fail') return Promise.reject(new GatewayError({ kind: 'rate_limited', message: 'upstream said no' }));
    if (outcome === 'hang') return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
    return Promise.resolve(request.messages.length * 10);
  }
}

const config: ConfigInput = {
  routing: { allow_direct_deployments: true, attempt_timeout_ms: 200 },
  deployments: [rawDeployment('plain', { region: 'us' }), rawDeployment('counting', { region: 'us' }), rawDeployment('eu-counting', { tags: ['eu'] })],
  groups: [
    { name: 'chat', deployments: ['plain', 'counting'], system_prompt: 'Answer in English.' },
    { name: 'plain-only', deployments: ['plain'] },
    { name: 'europe', deployments: ['eu-counting'] },
  ],
};

function build() {
  const counting = new Map<string, CountingProvider>();
  const records: AttemptRecord[] = [];
  let admitted = 0;
  const admission: AdmissionControl = {
    admit: () => {
      admitted += 1;
      return Promise.resolve({ release: () => undefined });
    },
  };
  const gateway = createGateway(config, {
    admission,
    observers: [{ onAttempt: (r) => records.push(r) }],
    createProvider: (d) => {
      if (d.id === 'plain') return new FakeProvider(d.id);
      const p = new CountingProvider(d.id);
      counting.set(d.id, p);
      return p;
    },
  });
  return { gateway, records, admitted: () => admitted, p: (id: string) => counting.get(id) as CountingProvider };
}

describe('gateway.countTokens', () => {
  it("asks the first planned deployment that can count, with the group's system prompt in the request", async () => {
    const { gateway, p } = build();
    const counted = await gateway.countTokens(userRequest('chat', 'hello'), { requestId: 'r1' });
    expect(counted).toEqual({
      inputTokens: 20,
      estimated: false,
      servedBy: { deployment: 'counting', provider: 'openai-compatible', region: 'us', model: 'counting', group: 'chat', attempts: 1, requestId: 'r1' },
    });
    expect(p('counting').counted[0]?.messages[0]).toEqual({ role: 'system', content: [{ type: 'text', text: 'Answer in English.' }] });
  });

  it('answers the estimate, marked estimated, when no planned deployment can count', async () => {
    const { gateway } = build();
    const request = userRequest('plain-only', 'hello there, how are you');
    expect(await gateway.countTokens(request)).toEqual({ inputTokens: estimatePromptTokens(request), estimated: true });
  });

  it("estimates images at the least they may cost (85 tokens), not at the reservation's most: clients size their context by the count", async () => {
    const { gateway } = build();
    const request: ChatRequest = { model: 'plain-only', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] }] };
    expect(await gateway.countTokens(request)).toEqual({ inputTokens: 4 + 85, estimated: true });
  });

  it('answers the estimate when the counter fails or outlasts the attempt timeout', async () => {
    const { gateway, p } = build();
    p('eu-counting').countScript = () => 'fail';
    const request = userRequest('europe', 'hello');
    expect(await gateway.countTokens(request)).toEqual({ inputTokens: estimatePromptTokens(request), estimated: true });
    p('eu-counting').countScript = () => 'hang';
    expect(await gateway.countTokens(request)).toMatchObject({ estimated: true });
  });

  it('is free: nothing is admitted against budgets, no attempt is recorded, no chat call is made', async () => {
    const { gateway, records, admitted, p } = build();
    await gateway.countTokens(userRequest('chat', 'hello'));
    expect([admitted(), records.length, p('counting').calls]).toEqual([0, 0, 0]);
  });

  it('keeps to the caller’s access and residency exactly as chat does', async () => {
    const { gateway } = build();
    const access = accessFor(gateway.config, { models: ['plain-only'] });
    const refusals = await Promise.all([
      gateway.countTokens(userRequest('chat', 'hi'), { access }).catch((e: GatewayError) => [e.kind, e.status]),
      gateway.chat(userRequest('chat', 'hi'), { access }).catch((e: GatewayError) => [e.kind, e.status]),
    ]);
    expect(refusals[0]).toEqual(refusals[1]);
    expect(refusals[0]).toEqual(['forbidden', 403]);
    const eu = await gateway.countTokens(userRequest('chat', 'hi'), { residency: 'eu' }).catch((e: GatewayError) => e.kind);
    expect(eu).toBe(await gateway.chat(userRequest('chat', 'hi'), { residency: 'eu' }).catch((e: GatewayError) => e.kind));
    expect(await gateway.countTokens(userRequest('europe', 'hi'), { residency: 'eu' })).toMatchObject({ estimated: false, servedBy: { deployment: 'eu-counting' } });
  });
});
