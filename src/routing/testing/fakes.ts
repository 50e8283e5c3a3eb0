import { GatewayError, type ErrorKind } from '../../core/errors.js';
import type { CancelSignal } from '../../core/cancel.js';
import type { Clock } from '../../core/clock.js';
import { seededRandom } from '../../core/random.js';
import type { CallContext, Provider } from '../../core/provider.js';
import { makeUsage, type ChatRequest, type ChatResponse, type EmbeddingResponse, type StreamPart } from '../../core/types.js';
import type { ConfigInput, DeploymentConfig, GatewayConfig } from '../../config/schema.js';
import { routingSchema } from '../config.js';
import { DeploymentState } from '../deployment-state.js';
import type { Deployment } from '../router.js';

/** A clock whose sleeps complete at once by moving time forward: backoff tests take no real time. */
export class FakeClock implements Clock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: CancelSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    this.sleeps.push(ms);
    this.t += ms;
    return Promise.resolve();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A seeded PRNG for reproducible distributions. */
export function seeded(seed = 42): () => number {
  return seededRandom(seed);
}

export function failure(kind: ErrorKind, extra: { retryAfterMs?: number; status?: number } = {}): GatewayError {
  return new GatewayError({ kind, message: `simulated ${kind}`, ...extra });
}

export function response(text: string, from = 'fake'): ChatResponse {
  return {
    id: `resp-${from}`,
    model: from,
    created: 0,
    content: [{ type: 'text', text }],
    finishReason: 'stop',
    usage: makeUsage({ prompt: 10, completion: 5 }),
  };
}

/** What a fake call does: answer, fail, or wait for the signal (a hung upstream). */
export type Outcome = 'ok' | 'hang' | GatewayError;

/** A scriptable provider: `script(callNumber)` decides each call; every request is recorded. */
export class FakeProvider implements Provider {
  readonly type = 'fake';
  calls = 0;
  probes = 0;
  readonly requests: ChatRequest[] = [];
  script: (call: number, req: ChatRequest) => Outcome = () => 'ok';
  /** The answer of a chat call the script lets through. */
  answer: (call: number) => ChatResponse = () => response(`answer from ${this.id}`, this.id);
  probeScript: (probe: number) => Outcome = () => 'ok';
  /** The answer of an embeddings call the script lets through. */
  embedding: () => EmbeddingResponse = () => ({ model: this.id, embeddings: [[0, 1]], usage: makeUsage({ prompt: 1 }) });
  /** Stream parts to send; `error` after `failAfter` content parts. */
  streamPlan: { chunks: string[]; failAfter?: number } = { chunks: ['Hel', 'lo'] };

  constructor(readonly id: string) {}

  private settle<T>(outcome: Outcome, value: () => T, ctx: CallContext): Promise<T> {
    if (outcome === 'ok') return Promise.resolve(value());
    if (outcome === 'hang') {
      return new Promise<T>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
    }
    return Promise.reject(outcome);
  }

  chat(req: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    this.calls += 1;
    this.requests.push(req);
    const call = this.calls;
    return this.settle(this.script(call, req), () => this.answer(call), ctx);
  }

  async stream(req: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    this.calls += 1;
    this.requests.push(req);
    await this.settle(this.script(this.calls, req), () => undefined, ctx);
    const { chunks, failAfter } = this.streamPlan;
    const id = this.id;
    return (async function* (): AsyncGenerator<StreamPart> {
      yield { type: 'start', id, model: id };
      for (let i = 0; i < chunks.length; i++) {
        if (failAfter === i) throw new GatewayError({ kind: 'network', message: 'stream broke' });
        yield { type: 'text', delta: chunks[i] as string };
      }
      if (failAfter !== undefined && failAfter >= chunks.length) throw new GatewayError({ kind: 'network', message: 'stream broke' });
      yield { type: 'finish', finishReason: 'stop' };
      yield { type: 'usage', usage: makeUsage({ prompt: 3, completion: 2 }) };
    })();
  }

  embed(_req: unknown, ctx: CallContext): Promise<EmbeddingResponse> {
    this.calls += 1;
    return this.settle(this.script(this.calls, { model: this.id, messages: [] }), this.embedding, ctx);
  }

  listModels(): Promise<Array<{ id: string; ownedBy: string }>> {
    return Promise.resolve([{ id: this.id, ownedBy: 'fake' }]);
  }

  probe(ctx: CallContext): Promise<void> {
    this.probes += 1;
    return this.settle(this.probeScript(this.probes), () => undefined, ctx);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function routing(overrides: Record<string, unknown> = {}): GatewayConfig['routing'] {
  return routingSchema.parse(overrides);
}

/** A deployment with a fake provider and fresh run-time state. */
export function fakeDeployment(
  id: string,
  extra: Partial<DeploymentConfig> = {},
  routingConfig: GatewayConfig['routing'] = routing(),
): Deployment & { provider: FakeProvider } {
  const config = { id, provider: 'fake', model: id, tags: [], headers: {}, options: {}, ...extra } as DeploymentConfig;
  return { id, config, provider: new FakeProvider(id), state: new DeploymentState(config, routingConfig) };
}

/** Raw deployment entries for a config whose providers a test supplies through createProvider. */
export function rawDeployment(id: string, extra: Record<string, unknown> = {}): ConfigInput['deployments'][number] {
  return { id, provider: 'openai-compatible', model: id, endpoint: 'http://127.0.0.1:9/v1', ...extra } as ConfigInput['deployments'][number];
}
