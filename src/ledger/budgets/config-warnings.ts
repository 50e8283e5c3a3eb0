import { withholdConfigSecrets, type ConfigProblem } from '../../config/interpolate.js';
import type { GatewayConfig } from '../../config/schema.js';
import { editDistance } from '../../core/edit-distance.js';
import type { IngressName } from '../../ingress/gateway-headers.js';
import type { BudgetConfig } from '../config.js';
import { loadCatalog, shippedCatalogPath, type Catalog } from '../pricing/catalog.js';
import { PriceBook } from '../pricing/price-book.js';

/** The parts of a valid config the budget warnings look at. */
export type BudgetWarningsConfig = Pick<GatewayConfig, 'budgets' | 'api_keys' | 'keys' | 'deployments' | 'pricing'>;

/**
 * Budgets a valid config sets up to count nothing, which `check-config` prints and `serve` logs at start
 * as warnings (never errors: virtual keys may bring the tags, an unpriced self-hosted model is chosen):
 * a `per` or `match` tag no request carries (a request without it is not counted), a `soft_usd` not
 * below its `hard_usd`, and, with budgets, a deployment whose model has no price (budgets count none of its usage).
 */
export function budgetWarnings(config: BudgetWarningsConfig): ConfigProblem[] {
  if (config.budgets.limits.length === 0) return [];
  const tags = tagSources(config);
  const problems = config.budgets.limits.flatMap((b, i) => [...tagWarnings(b, `budgets.limits[${i}]`, tags), ...limitWarnings(b, `budgets.limits[${i}]`)]);
  problems.push(...unpricedDeployments(config));
  // Messages quote tag values and model names: one a variable filled from a secret is quoted by its reference.
  return withholdConfigSecrets(config, problems);
}

/** The front doors, the `ingress` values (`satisfies`: a door added to `IngressName` must be added here). */
export const DOORS = Object.keys({ 'openai-chat': true, 'openai-responses': true, 'anthropic-messages': true } satisfies Record<IngressName, true>);

/** The tags the gateway sets itself: three from the key's fields (`http/auth.ts`, the KeyStore), and the door. */
const GATEWAY_TAGS = ['key', 'team', 'user', 'ingress'] as const;
/** Virtual keys set these three from their own fields (any values), besides tags of any name. */
const VIRTUAL_KEY_FIELDS = new Set(['key', 'team', 'user']);

interface TagSources {
  /**
   * Each tag a request can carry by the config alone, with the values it takes: the door, and each
   * config key's id, team, user and tags. Clients send no tags (no header or body field sets one).
   */
  values: Map<string, Set<string>>;
  /** Virtual keys are on: created at run time, they may carry any tag, team, user and key id the config does not name. */
  virtual: boolean;
}

function tagSources(config: BudgetWarningsConfig): TagSources {
  const values = new Map<string, Set<string>>([['ingress', new Set(DOORS)]]);
  const add = (name: string, value: string): void => {
    const set = values.get(name) ?? new Set<string>();
    set.add(value);
    values.set(name, set);
  };
  for (const k of config.api_keys) {
    // A metrics key calls no model: its tags never reach a budget.
    if (k.role === 'metrics') continue;
    add('key', k.id);
    if (k.team !== undefined) add('team', k.team);
    if (k.user !== undefined) add('user', k.user);
    for (const [name, value] of Object.entries(k.tags)) add(name, value);
  }
  return { values, virtual: config.keys.hmac_secret !== undefined };
}

/** What a budget whose tags no request carries does; the same words for every such warning. */
const COUNTS_NOTHING = 'this budget counts nothing and never applies';

function tagWarnings(b: BudgetConfig, at: string, tags: TagSources): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (b.per !== undefined) {
    const message = unknownName(b.per, tags, 'a request without it is not counted');
    if (message !== undefined) out.push({ path: `${at}.per`, message: `${message}. Name a tag requests carry, or give the keys it should count that tag` });
  }
  for (const [name, value] of Object.entries(b.match)) {
    const message = unknownName(name, tags, 'no request matches') ?? unknownValue(name, value, tags);
    if (message !== undefined) out.push({ path: `${at}.match.${name}`, message });
  }
  return out;
}

/**
 * Why no request carries tag `name`, or undefined when some can. With virtual keys on, any name may come
 * from one: said only of a name a known one is near (a typo, most likely), which would otherwise never be told.
 */
function unknownName(name: string, tags: TagSources, outcome: string): string | undefined {
  if (tags.values.has(name) || (tags.virtual && VIRTUAL_KEY_FIELDS.has(name))) return undefined;
  const near = nearest(name, [...new Set([...GATEWAY_TAGS, ...tags.values.keys()])]);
  const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
  if (tags.virtual) {
    if (near === undefined) return undefined;
    return `no key in the config carries a tag "${name}"${hint}; virtual keys may, but a request whose key does not is not matched or counted: if none does, ${COUNTS_NOTHING}`;
  }
  return `no request carries a tag "${name}"${hint}: ${whyNot(name)}; ${outcome}, so ${COUNTS_NOTHING}`;
}

/** Why the config gives no request the tag `name` (virtual keys off). */
function whyNot(name: string): string {
  if (name === 'key') return 'api_keys is empty and virtual keys are off, so requests are anonymous and carry no key tag';
  if (name === 'team' || name === 'user') return `no key in api_keys has a ${name} (api_keys[].${name}) and virtual keys are off`;
  return `the gateway sets only ${GATEWAY_TAGS.join(', ')}, clients cannot send tags, and no key in api_keys has a tag "${name}" (api_keys[].tags)`;
}

/**
 * Why no request carries `value` in a tag some request carries, or undefined when one can. A door is
 * always one of three; a value a virtual key may hold is said only when it is near a known one.
 */
function unknownValue(name: string, value: string, tags: TagSources): string | undefined {
  const known = tags.values.get(name);
  if (known === undefined || known.has(value)) return undefined;
  const near = nearest(value, [...known]);
  const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
  if (name === 'ingress') return `no request has ingress "${value}"${hint}: it is the front door a request came through, one of ${DOORS.join(', ')}; no request matches, so ${COUNTS_NOTHING}`;
  const what = name === 'key' ? `the id "${value}"` : VIRTUAL_KEY_FIELDS.has(name) ? `${name} "${value}"` : `the tag ${name}: "${value}"`;
  if (tags.virtual) {
    if (near === undefined) return undefined;
    return `no key in the config has ${what}${hint}; virtual keys may, but if none does, no request matches and ${COUNTS_NOTHING}`;
  }
  return `no key in api_keys has ${what}${hint} and virtual keys are off, so no request matches and ${COUNTS_NOTHING}; use a value a key has (${[...known].slice(0, 10).join(', ')}), or give the keys it should count that value`;
}

/** The candidate one or two edits from `typed` (a quarter of its length at most), as config keys' "did you mean" finds them. */
function nearest(typed: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    const distance = editDistance(c.toLowerCase(), typed.toLowerCase());
    if (distance <= Math.max(1, Math.floor(c.length / 4)) && (best === undefined || distance < best.distance)) best = { name: c, distance };
  }
  return best?.name;
}

function limitWarnings(b: BudgetConfig, at: string): ConfigProblem[] {
  if (b.soft_usd === undefined || b.hard_usd === undefined || b.soft_usd < b.hard_usd) return [];
  return [
    {
      path: `${at}.soft_usd`,
      message: `soft_usd (${b.soft_usd}) is not below hard_usd (${b.hard_usd}): requests are refused once the hard limit is reached, so the soft limit's warning and webhook come, if at all, only once requests are already refused. Set soft_usd below hard_usd (e.g. 80% of it), or drop it`,
    },
  ];
}

/** Deployments the price book prices nothing of, looked up as the ledger looks each answer up. */
function unpricedDeployments(config: BudgetWarningsConfig): ConfigProblem[] {
  let catalogs: Catalog[];
  try {
    // The catalogs PriceBook.fromConfig reads, kept for the names a misspelt model is near.
    catalogs = [loadCatalog(shippedCatalogPath()), ...(config.pricing.catalog_file === undefined ? [] : [loadCatalog(config.pricing.catalog_file)])];
  } catch {
    // An unreadable catalog_file: serve reports it as it starts, and nothing can be said of prices here.
    return [];
  }
  const prices = new PriceBook(catalogs, config.pricing, config.deployments);
  return config.deployments.flatMap((d, i) => {
    if (prices.lookup({ deployment: d.id, provider: d.provider, model: d.model, region: d.region }) !== undefined) return [];
    const field = d.base_model === undefined ? 'model' : 'base_model';
    const named = d.base_model ?? d.model;
    const near = nearest(named, catalogModels(catalogs, config.pricing.provider_aliases, d.provider));
    const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
    return [
      {
        path: `deployments[${i}].${field}`,
        message:
          `no price for "${named}" on provider ${d.provider}${d.region === undefined ? '' : ` in ${d.region}`}${hint}: not in the price book and no pricing override, so budgets count none of its usage and its requests spend without limit. ` +
          `Correct the model name, or price it (pricing.deployments.${d.id}: { input, output } in USD per million tokens, or pricing.models); a self-hosted model that costs nothing per token: price it at 0 ({ input: 0, output: 0 }) to say so`,
      },
    ];
  });
}

/** The model names the catalogs price for a deployment's provider type (by its name or an alias of it). */
function catalogModels(catalogs: readonly Catalog[], aliases: Readonly<Record<string, string>>, type: string): string[] {
  const provider = aliases[type] ?? catalogs.flatMap((c) => Object.entries(c.providers)).find(([, p]) => p.aliases.includes(type))?.[0] ?? type;
  return catalogs.flatMap((c) => c.providers[provider]?.models.flatMap((m) => [m.model, ...m.aliases]) ?? []);
}
