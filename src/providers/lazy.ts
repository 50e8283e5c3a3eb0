import { GatewayError } from '../core/errors.js';
import type { CallContext, Provider } from '../core/provider.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart } from '../core/types.js';

/**
 * A provider whose implementation (and the cloud SDK behind it) is imported only when a config names
 * it: a function bundle that only calls Bedrock never loads Google's or Azure's SDKs. The import starts
 * at once, so by the first request it has usually finished; after that each call costs one check.
 * What `known` says (`Provider.prefill`; `counts`: the implementation has a `countTokens`;
 * `Provider.embeds`) is known from the config, before the implementation loads.
 */
export function lazyProvider(type: string, load: () => Promise<Provider>, known: { prefill?: boolean; counts?: boolean; embeds?: boolean } = {}): Provider {
  return new LazyProvider(type, load, known.prefill ?? false, known.counts ?? false, known.embeds ?? true);
}

class LazyProvider implements Provider {
  private loaded: Provider | undefined;
  private readonly loading: Promise<Provider>;
  /** Absent unless the implementation counts, so the gateway estimates without a call. */
  readonly countTokens: Provider['countTokens'];

  constructor(
    readonly type: string,
    load: () => Promise<Provider>,
    readonly prefill: boolean,
    counts: boolean,
    readonly embeds: boolean,
  ) {
    this.loading = load().then((p) => (this.loaded = p));
    // A failed import surfaces on the first call; until then it must not be an unhandled rejection.
    this.loading.catch(() => undefined);
    this.countTokens = counts ? (request, ctx) => this.countWithLoaded(request, ctx) : undefined;
  }

  private async countWithLoaded(request: ChatRequest, ctx: CallContext): Promise<number> {
    const provider = this.loaded ?? (await this.loading);
    if (!provider.countTokens) throw new GatewayError({ kind: 'internal', message: `Provider ${this.type} has no token counter.`, provider: this.type });
    return provider.countTokens(request, ctx);
  }

  async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    return (this.loaded ?? (await this.loading)).chat(request, ctx);
  }

  async stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    return (this.loaded ?? (await this.loading)).stream(request, ctx);
  }

  async embed(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    return (this.loaded ?? (await this.loading)).embed(request, ctx);
  }

  async listModels(ctx: CallContext): Promise<ModelInfo[]> {
    return (this.loaded ?? (await this.loading)).listModels(ctx);
  }

  async probe(ctx: CallContext): Promise<void> {
    return (this.loaded ?? (await this.loading)).probe(ctx);
  }

  async close(): Promise<void> {
    const provider = await this.loading.catch(() => undefined);
    await provider?.close();
  }
}
