import type { PricingConfig, PriceEntryConfig, FixedPriceConfig } from '../config.js';
import type { Usage } from '../../core/types.js';
import { loadCatalog, shippedCatalogPath, type Catalog } from './catalog.js';
import type { CacheTtl } from '../../core/cache-ttl.js';
import { costOfUsage, maxCostOf, type Price, type TokenPrices } from './cost.js';

/** What a price is looked up by: the deployment that served (or may serve) a request. */
export interface PriceKey {
  deployment: string;
  provider: string;
  model: string;
  region: string | undefined;
}

/** The deployments a price book knows: a deployment's `base_model` is what it is priced as. */
export type PricedDeployments = ReadonlyArray<{ id: string; base_model?: string | undefined }>;

/** Cost of one answer: `usd` is undefined (and `priced` false) when no price is known. */
export interface CostResult {
  usd: number | undefined;
  priced: boolean;
}

interface Entry {
  provider: string;
  names: Set<string>;
  regions: string[] | undefined;
  profiles: string[] | undefined;
  price: Price;
}

/** Bedrock inference-profile prefixes: `us.anthropic.claude...` is priced from `anthropic.claude...`. */
const PROFILE = /^(us|eu|apac|jp|au|ca|us-gov|global)\.(.+)$/;

/** Claude on any host: the Anthropic API, Bedrock (`anthropic.claude-...`) and Vertex (`claude-...@...`). */
function isClaude(provider: string, model: string): boolean {
  return provider === 'anthropic' || /claude/i.test(model);
}

/**
 * Anthropic prices a one-hour cache write at twice the input price (a five-minute one at 1.25x), on
 * every host and in long context too: a Claude price that does not say is given that.
 */
function tokenPrices(p: { input: number; output: number; cache_read?: number; cache_write?: number; cache_write_1h?: number }, claude: boolean): TokenPrices {
  return { input: p.input, output: p.output, cacheRead: p.cache_read, cacheWrite: p.cache_write, cacheWrite1h: p.cache_write_1h ?? (claude ? 2 * p.input : undefined) };
}

function toPrice(provider: string, model: string, e: FixedPriceConfig & { date?: string; source?: string }, claude = isClaude(provider, model)): Price {
  return {
    provider,
    model,
    ...tokenPrices(e, claude),
    longContext: e.long_context ? { ...tokenPrices(e.long_context, claude), abovePromptTokens: e.long_context.above_prompt_tokens } : undefined,
    date: e.date,
    source: e.source,
    note: e.note,
  };
}

function sameScope(a: string[] | undefined, b: string[] | undefined): boolean {
  return (a ?? []).slice().sort().join(',') === (b ?? []).slice().sort().join(',');
}

/**
 * Prices of every known model: the shipped catalog, an optional extra catalog file, then config
 * entries (which replace catalog entries of the same provider, model and scope), then per-deployment
 * prices. A deployment with a `base_model` (its model id an ARN that hides the model) is priced as that
 * model. Lookups are memoised per deployment and model, so costing an answer is a map hit.
 */
export class PriceBook {
  private readonly entries: Entry[] = [];
  private readonly providerAlias = new Map<string, string>();
  private readonly deploymentPrices = new Map<string, FixedPriceConfig>();
  private readonly baseModels = new Map<string, string>();
  private readonly memo = new Map<string, Price | null>();
  /** Last resolution per deployment id: the hot path's lookup is a Map hit and three compares. */
  private readonly byDeployment = new Map<string, { provider: string; model: string; region: string | undefined; price: Price | undefined }>();

  constructor(catalogs: readonly Catalog[], config?: PricingConfig, deployments: PricedDeployments = []) {
    for (const d of deployments) if (d.base_model !== undefined) this.baseModels.set(d.id, d.base_model);
    for (const catalog of catalogs) {
      for (const [provider, p] of Object.entries(catalog.providers)) {
        for (const alias of p.aliases) this.providerAlias.set(alias, provider);
        for (const e of p.models) this.add(provider, { ...e, date: e.date ?? p.date, source: e.source ?? p.source });
      }
    }
    if (!config) return;
    for (const [from, to] of Object.entries(config.provider_aliases)) this.providerAlias.set(from, to);
    for (const e of config.models) this.add(e.provider, { ...e, source: e.source ?? 'config' });
    for (const [id, p] of Object.entries(config.deployments)) this.deploymentPrices.set(id, p);
  }

  /** The shipped catalog plus the config's additions, for the config's deployments. */
  static fromConfig(config: PricingConfig | undefined, deployments: PricedDeployments): PriceBook {
    const catalogs = [loadCatalog(shippedCatalogPath())];
    if (config?.catalog_file) catalogs.push(loadCatalog(config.catalog_file));
    return new PriceBook(catalogs, config, deployments);
  }

  private add(provider: string, e: PriceEntryConfig): void {
    const entry: Entry = { provider, names: new Set([e.model, ...e.aliases]), regions: e.regions, profiles: e.profiles, price: toPrice(provider, e.model, e) };
    const same = this.entries.findIndex((x) => x.provider === provider && x.price.model === e.model && sameScope(x.regions, e.regions) && sameScope(x.profiles, e.profiles));
    if (same >= 0) this.entries[same] = entry;
    else this.entries.push(entry);
    this.memo.clear();
    this.byDeployment.clear();
  }

  /** The price for a deployment's model, or undefined when none is known (reported as unpriced). */
  lookup(key: PriceKey): Price | undefined {
    const last = this.byDeployment.get(key.deployment);
    if (last && last.provider === key.provider && last.model === key.model && last.region === key.region) return last.price;
    const price = this.lookupSlow(key);
    this.byDeployment.set(key.deployment, { provider: key.provider, model: key.model, region: key.region, price });
    return price;
  }

  private lookupSlow(key: PriceKey): Price | undefined {
    const memoKey = `${key.deployment}\u0000${key.provider}\u0000${key.model}\u0000${key.region ?? ''}`;
    const cached = this.memo.get(memoKey);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.resolve(key);
    this.memo.set(memoKey, found ?? null);
    return found;
  }

  private resolve(key: PriceKey): Price | undefined {
    const named = this.baseModels.get(key.deployment) ?? key.model;
    const fixed = this.deploymentPrices.get(key.deployment);
    // Built per model (and memoised): whether it is Claude's decides the one-hour write default.
    if (fixed) return toPrice('deployment', key.deployment, { ...fixed, source: 'config' }, isClaude(key.provider, named));
    const provider = this.providerAlias.get(key.provider) ?? key.provider;
    const profileMatch = PROFILE.exec(named);
    const attempts: Array<{ model: string; profile: string | undefined }> = [{ model: named, profile: undefined }];
    if (profileMatch) attempts.unshift({ model: profileMatch[2] as string, profile: profileMatch[1] });
    for (const { model, profile } of attempts) {
      let best: Entry | undefined;
      let bestScore = -1;
      for (const e of this.entries) {
        if (e.provider !== provider || !e.names.has(model)) continue;
        if (e.profiles && (!profile || !e.profiles.includes(profile))) continue;
        if (e.regions && (!key.region || !e.regions.includes(key.region))) continue;
        const score = (e.profiles ? 2 : 0) + (e.regions ? 1 : 0);
        if (score > bestScore) {
          best = e;
          bestScore = score;
        }
      }
      if (best) return best.price;
    }
    return undefined;
  }

  /** Cost of an answer's usage on a deployment. */
  costOf(key: PriceKey, usage: Usage | undefined): CostResult {
    const price = this.lookup(key);
    if (!price) return { usd: undefined, priced: false };
    return { usd: usage ? costOfUsage(price, usage) : 0, priced: true };
  }

  /** Cost in USD of an answer's usage on a deployment; undefined when unpriced (no allocation, for the hot path). */
  usdOf(key: PriceKey, usage: Usage | undefined): number | undefined {
    const price = this.lookup(key);
    if (!price) return undefined;
    return usage ? costOfUsage(price, usage) : 0;
  }

  /** Upper bound of a request's cost on a deployment (`maxCostOf`), or undefined when unpriced. */
  maxCost(key: PriceKey, promptTokens: number, completionTokens: number, promptCacheTtl?: CacheTtl): number | undefined {
    const price = this.lookup(key);
    return price ? maxCostOf(price, promptTokens, completionTokens, promptCacheTtl) : undefined;
  }
}
