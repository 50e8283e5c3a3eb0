import { describe, expect, it } from 'vitest';
import type { AdmissionControl, AdmissionRequest, AttemptRecord } from '../core/events.js';
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

function build(refuse?: () => GatewayError | undefined) {
  const counting = new Map<string, CountingProvider>();
  const records: AttemptRecord[] = [];
  const asked: AdmissionRequest[] = [];
  let released = 0;
  const admission: AdmissionControl = {
    admit: (request) => {
      asked.push(request);
      const refusal = refuse?.();
      if (refusal) return Promise.reject(refusal);
      return Promise.resolve({ release: () => void (released += 1) });
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
  return { gateway, records, asked, released: () => released, p: (id: string) => counting.get(id) as CountingProvider };
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

  it('costs no tokens: admitted as a request of none and released at once, no attempt recorded, no chat call made', async () => {
    const { gateway, records, asked, released, p } = build();
    await gateway.countTokens(userRequest('chat', 'hello'), { tags: { key: 'k1' } });
    expect(asked).toEqual([expect.objectContaining({ estimatedPromptTokens: 0, maxCompletionTokens: 0, tags: { key: 'k1' }, candidates: ['plain', 'counting'] })]);
    expect([released(), records.length, p('counting').calls, p('counting').counted.length]).toEqual([1, 0, 0, 1]);
  });

  it('answers the estimate without calling the upstream counter for a caller its rate limit or spent budget refuses (the operator’s credential and counting limits are shared)', async () => {
    for (const kind of ['rate_limited', 'budget_exceeded'] as const) {
      const { gateway, p } = build(() => new GatewayError({ kind, message: 'no' }));
      const count = await gateway.countTokens(userRequest('chat', 'hello'));
      expect([count.estimated, count.servedBy, p('counting').counted.length], kind).toEqual([true, undefined, 0]);
    }
    // Any other failure of admission is the request's own error, as it is for chat.
    const { gateway } = build(() => new GatewayError({ kind: 'unavailable', message: 'budget state down' }));
    await expect(gateway.countTokens(userRequest('chat', 'hello'))).rejects.toMatchObject({ kind: 'unavailable' });
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
