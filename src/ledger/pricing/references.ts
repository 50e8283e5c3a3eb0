import { formatPath, type ConfigProblem } from '../../config/interpolate.js';
import type { PricingConfig } from '../config.js';
import { loadCatalog, shippedCatalogPath, type Catalog } from './catalog.js';

/** The parts of a schema-valid config that pricing references are checked against. */
export interface PricingReferences {
  deployments: ReadonlyArray<{ id: string; provider: string }>;
  pricing: PricingConfig;
}

/**
 * Pricing entries that could never apply, checked when the config is loaded (so `check-config` catches
 * them): a price would otherwise be silently unused and the request billed at the catalog price (or
 * not at all). A `deployments` key must name a deployment; a model's `provider` must be one a
 * deployment's type resolves to, as PriceBook looks prices up by that name only.
 */
export function checkPricingReferences(config: PricingReferences): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const ids = config.deployments.map((d) => d.id);
  for (const key of Object.keys(config.pricing.deployments)) {
    if (ids.includes(key)) continue;
    problems.push({ path: formatPath(['pricing', 'deployments', key]), message: `unknown deployment "${key}"; known: ${ids.join(', ')}` });
  }
  // The catalog is read only for a config that prices models itself: most configs never pay for it.
  if (config.pricing.models.length === 0) return problems;
  const catalogs = catalogsOf(config.pricing);
  if (catalogs === undefined) return problems;
  const aliases = new Map<string, string>();
  for (const catalog of catalogs) for (const [name, p] of Object.entries(catalog.providers)) for (const a of p.aliases) aliases.set(a, name);
  for (const [from, to] of Object.entries(config.pricing.provider_aliases)) aliases.set(from, to);
  const resolve = (type: string): string => aliases.get(type) ?? type;
  const known = new Set([...catalogs.flatMap((c) => Object.keys(c.providers)), ...aliases.values(), ...config.deployments.map((d) => resolve(d.provider))]);
  config.pricing.models.forEach((m, i) => {
    if (known.has(m.provider)) return;
    const target = aliases.get(m.provider);
    const message =
      target !== undefined
        ? `provider "${m.provider}" is priced as "${target}"; write provider: ${target}`
        : `unknown provider "${m.provider}"; expected one of ${[...known].sort().join(', ')} (or add it to pricing.provider_aliases)`;
    problems.push({ path: formatPath(['pricing', 'models', i, 'provider']), message });
  });
  return problems;
}

/** The shipped catalog and the config's own; undefined when that file cannot be read (the gateway reports it on start). */
function catalogsOf(pricing: PricingConfig): Catalog[] | undefined {
  try {
    const catalogs = [loadCatalog(shippedCatalogPath())];
    if (pricing.catalog_file !== undefined) catalogs.push(loadCatalog(pricing.catalog_file));
    return catalogs;
  } catch {
    return undefined;
  }
}
