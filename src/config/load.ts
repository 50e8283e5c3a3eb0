import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as z from './zod.js';
import { configSchema, configShapeSchema, deploymentSchema, type ConfigInput, type DeploymentBase, type DeploymentConfig, type GatewayConfig } from './schema.js';
import { configIssueMessage, knownKeys, unknownKey } from './messages.js';
import { plainHttpProblem } from './plain-http.js';
import { aliasAmplification, inFileOrder, MAX_ALIAS_COPIES, tagProblems, treeProblem, yamlProblems, type YamlModule } from './yaml-problems.js';
import { aboutDropped, salvageConfig, type Salvaged } from './salvage.js';
import { Filled, formatPath, interpolateEnv, rememberFilled, withholdConfigSecrets, withholdConfigText, withholdSecrets, type ConfigProblem } from './interpolate.js';
import { fileProblem } from './file-problem.js';
import { noteSecretTexts, Secret } from './secret.js';
import { isLiteralSecret } from './secret-ref.js';
import { PROVIDERS, findProvider } from '../providers/registry.js';
import { checkRoutingReferences } from '../routing/references.js';
import { checkAccessReferences, checkKeyResidency } from '../routing/access.js';
import { checkPricingReferences } from '../ledger/pricing/references.js';

export type { ConfigProblem } from './interpolate.js';

/**
 * Raised when a config cannot be used; `problems` lists every mistake with its path. `message` replaces
 * the list for a file that could not be read at all, which has nothing to list.
 */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
    message = `${source}: invalid config\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * A `ConfigError` about `config` found after its parse (while an app is built from it) with the secrets
 * its variables filled in written as their references, as the parse's own problems are.
 */
export function withheldConfigError(config: object, err: ConfigError): ConfigError {
  return new ConfigError(err.source, withholdConfigSecrets(config, err.problems), withholdConfigText(config, err.message));
}

const RESOLVED = Symbol.for('switchyard.resolvedConfig');

type ParsedConfig = z.infer<typeof configShapeSchema>;

/** True for a config that came out of parseConfig (so it is not validated twice). */
export function isResolvedConfig(config: ConfigInput | GatewayConfig): config is GatewayConfig {
  return (config as unknown as Record<symbol, unknown>)[RESOLVED] === true;
}

/**
 * zod issues in words (see messages.ts), each named by its path. `jitless`: a config is parsed a few
 * times per process, and zod's compiled fast path for each object shape costs more to build than it
 * saves (createGateway 33 → 25 ms CPU, medians of 7, same run); set per parse, so an embedding app's zod keeps its JIT.
 */
const PARSE = { error: configIssueMessage, jitless: true } as const;

function zodProblems(issues: ReadonlyArray<z.core.$ZodIssue>, prefix: PropertyKey[] = []): ConfigProblem[] {
  return issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
}

/** Collects problems; a later stage adds none at a path an earlier stage already explained. */
class Problems {
  readonly list: ConfigProblem[] = [];
  private readonly paths = new Set<string>();

  add(found: readonly ConfigProblem[]): void {
    const fresh = found.filter((p) => !this.paths.has(p.path));
    for (const p of fresh) this.paths.add(p.path);
    this.list.push(...fresh);
  }
}

const EMPTY_CONFIG = 'the config is empty: it needs at least deployments (the upstream models, see docs/CONFIG.md)';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Top-level keys starting with `x-`: the operator's own, such as a block of anchors for merge keys. */
const EXTENSION_KEY = /^x-/;

/** The config without its top-level `x-` keys, which are ignored as docker-compose ignores them. */
function withoutExtensions(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const keys = Object.keys(raw);
  if (!keys.some((k) => EXTENSION_KEY.test(k))) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !EXTENSION_KEY.test(k)));
}

/**
 * Validates a parsed config tree (env references not yet interpolated). Returns the typed config or
 * every problem found, each named by its path. Every stage runs on what the earlier ones could parse,
 * so one run reports the shape errors, the cross-references and the provider options together.
 */
export function parseConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { ok: true; config: GatewayConfig } | { ok: false; problems: ConfigProblem[] } {
  const filled = new Filled();
  const secretTexts = new Set<string>();
  const result = noteSecretTexts(secretTexts, () => checkConfig(raw, env, filled));
  if (!result.ok) return { ok: false, problems: withholdSecrets(result.problems, filled, secretTexts) };
  rememberFilled(result.config, filled, secretTexts);
  if (!(isRecord(raw) && raw[DEMO_CONFIG_KEY] !== undefined)) LITERAL_SECRETS.set(result.config, literalSecretPaths(result.config, raw));
  return result;
}

/**
 * The top-level key the configs `switchyard demo` writes out carry: their keys are its simulators'
 * fake ones, written out, which no warning is given about. An `x-` key, so the loader ignores it.
 */
export const DEMO_CONFIG_KEY = 'x-switchyard-demo';

/** Each parsed config's secrets written out as values, by path. */
const LITERAL_SECRETS = new WeakMap<object, readonly string[]>();

/**
 * The paths of the secrets a parsed config has written out (`api_key: sk-...`) rather than as a
 * reference: what check-config and serve's start warn about (`LITERAL_SECRET`), never quoting the value.
 * None for a config the demo wrote, or one not from parseConfig.
 */
export function literalSecrets(config: GatewayConfig): readonly string[] {
  return LITERAL_SECRETS.get(config) ?? [];
}

/**
 * Paths of the parsed config's `Secret`s whose text at the same path of the raw tree is the secret
 * itself. A deployment's provider options (`deployments[i].options`: a Bedrock key, an Entra client
 * secret) are read against the deployment as written, where those keys sit.
 */
function literalSecretPaths(config: GatewayConfig, raw: unknown): string[] {
  const paths = new Set<string>();
  const seen = new Set<object>();
  const visit = (node: unknown, written: unknown, path: readonly PropertyKey[]): void => {
    if (node instanceof Secret) {
      if (typeof written === 'string' && isLiteralSecret(written)) paths.add(formatPath(path));
      return;
    }
    if (node === null || typeof node !== 'object' || seen.has(node) || written === null || typeof written !== 'object') return;
    seen.add(node);
    const writtenAt = written as Record<PropertyKey, unknown>;
    const isDeployment = path.length === 2 && path[0] === 'deployments';
    for (const [key, value] of Object.entries(node)) {
      if (isDeployment && key === 'options') visit(value, written, path);
      const at = Array.isArray(node) ? Number(key) : key;
      if (Object.hasOwn(writtenAt, at)) visit(value, writtenAt[at], [...path, at]);
    }
  };
  visit(config, raw, []);
  return [...paths];
}

/** parseConfig's stages, its problems as found (secrets not yet withheld). */
function checkConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>>,
  filled: Filled,
): { ok: true; config: GatewayConfig } | { ok: false; problems: ConfigProblem[] } {
  // One message: the checks below would add "deployments: required" to a config that has nothing at all.
  if (raw === null || raw === undefined) return { ok: false, problems: [{ path: '(root)', message: EMPTY_CONFIG }] };
  const interpolationProblems: ConfigProblem[] = [];
  // Before interpolation: a `${VAR}` in an anchor block counts only where a merge key copied it.
  const interpolated = interpolateEnv(withoutExtensions(raw), env, interpolationProblems, filled);
  const problems = new Problems();
  // A missing variable already explains why the value at its path is empty.
  problems.add(interpolationProblems);
  const parsed = configSchema.safeParse(interpolated, PARSE);
  let data: ParsedConfig | undefined;
  let salvaged: Salvaged | undefined;
  if (parsed.success) data = parsed.data;
  else {
    problems.add(zodProblems(parsed.error.issues));
    // A list or a scalar at the top holds no section to salvage; its one problem says so.
    if (!isRecord(interpolated)) return { ok: false, problems: problems.list };
    salvaged = salvageConfig(interpolated);
    const again = configSchema.safeParse(salvaged.input, PARSE);
    if (!again.success) problems.add(later(zodProblems(again.error.issues), salvaged));
    const shape = configShapeSchema.safeParse(salvaged.input, PARSE);
    if (shape.success) data = shape.data;
  }
  const deployments: DeploymentConfig[] = [];
  if (data !== undefined) {
    problems.add(later([...checkRoutingReferences(data), ...checkAccessReferences(data), ...checkKeyResidency(data), ...checkPricingReferences(data)], salvaged));
    data.deployments.forEach((d, i) => {
      const checked = checkProvider(d, i);
      // A deployment without its own media_urls takes routing's, so the router reads one field.
      if ('options' in checked) deployments.push({ ...d, media_urls: d.media_urls ?? data.routing.media_urls, options: checked.options });
      else problems.add(later(checked.problems, salvaged));
    });
  }
  for (const { index, raw: entry } of salvaged?.droppedDeployments ?? []) {
    const checked = checkProvider(entry as DeploymentBase, index, false);
    if ('problems' in checked) problems.add(checked.problems);
  }
  if (data === undefined || problems.list.length > 0) return { ok: false, problems: problems.list };
  const config: GatewayConfig = { ...data, deployments };
  Object.defineProperty(config, RESOLVED, { value: true, enumerable: false });
  return { ok: true, config };
}

/** Problems found on a salvaged config, at the user's paths, without those caused by dropped entries. */
function later(found: ConfigProblem[], salvaged: Salvaged | undefined): ConfigProblem[] {
  if (!salvaged) return found;
  return found.map((p) => ({ path: salvaged.remap(p.path), message: salvaged.remap(p.message) })).filter((p) => !aboutDropped(p, salvaged));
}

/**
 * The provider stage of one deployment: a known provider type, its options, a model its wire can
 * serve, its passthrough fields.
 * A deployment the salvage dropped (`valid` false: its common fields failed, `model` may be missing)
 * gets the first two only: the later checks read the common fields as the schema typed them.
 */
function checkProvider(d: DeploymentBase, i: number, valid = true): { options: unknown } | { problems: ConfigProblem[] } {
  const unknownAt = (keys: readonly string[]): ConfigProblem[] => unknownDeploymentKeys(d, keys).map((key) => ({ path: `deployments[${i}]`, message: key }));
  const factory = typeof d.provider === 'string' ? findProvider(d.provider) : undefined;
  if (!factory) {
    // A misspelt `provder` is why the provider is missing: say so, against every provider's keys.
    const unknown = unknownAt(PROVIDERS.flatMap((p) => knownKeys(p.options())));
    if (typeof d.provider !== 'string') return { problems: unknown };
    return { problems: [{ path: `deployments[${i}].provider`, message: `unknown provider "${d.provider}"; expected one of ${PROVIDERS.map((p) => p.type).join(', ')}` }, ...unknown] };
  }
  const schema = factory.options();
  const options = schema.safeParse(d, PARSE);
  // A misspelt `regoin` is why `region` is missing: both are reported, in one run.
  if (!options.success) return { problems: [...zodProblems(options.error.issues, ['deployments', i]), ...unknownAt(knownKeys(schema))] };
  const unknown = unknownAt(knownKeys(schema));
  if (unknown.length > 0) return { problems: unknown };
  if (!valid) return { options: options.data };
  const plain = plainHttpProblem(d, factory.sendsCredentials(d));
  if (plain !== undefined) return { problems: [{ path: `deployments[${i}].endpoint`, message: plain }] };
  const based = d.base_model === undefined ? undefined : factory.baseModelProblem(d, d.base_model);
  if (based !== undefined) return { problems: [{ path: `deployments[${i}].base_model`, message: based }] };
  const unservable = factory.modelProblem(d, options.data);
  if (unservable !== undefined) return { problems: [{ path: `deployments[${i}].model`, message: unservable }] };
  const carry = Array.isArray(d.passthrough) && d.passthrough.length > 0 ? factory.passthroughProblem(d.passthrough, d, options.data) : undefined;
  if (carry !== undefined) return { problems: [{ path: `deployments[${i}].passthrough`, message: carry }] };
  return { options: options.data };
}

/** Every deployment's keys, and `options`: a resolved deployment's parsed provider options (a config built from a resolved one). */
const DEPLOYMENT_KEYS = [...knownKeys(deploymentSchema), 'options'];

/**
 * Keys neither every deployment nor this provider knows: a misspelt `api_kye` would otherwise send
 * requests without credentials. The two schemas are loose because each checks only its own half.
 */
function unknownDeploymentKeys(d: DeploymentBase, providerKeys: readonly string[]): string[] {
  if (providerKeys.length === 0) return [];
  const known = [...new Set([...DEPLOYMENT_KEYS, ...providerKeys])];
  return Object.keys(d)
    .filter((key) => !known.includes(key))
    .map((key) => unknownKey(key, known.filter((k) => k !== 'options')));
}

let yamlModule: YamlModule | undefined;

/** yaml, required on first use: a gateway built from an object (createGateway) never loads it. */
function yaml(): YamlModule {
  yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yamlModule;
}

type YamlDocument = ReturnType<YamlModule['parseDocument']>;

/** The YAML text's tree, as the config loader reads it (merge keys on), and its document; syntax errors with line and column. */
function configTree(text: string, source: string): { tree: unknown; doc: YamlDocument } {
  // Merge keys (`<<: *defaults`) are YAML 1.1, off in yaml's 1.2 default: operators share deployment settings with them.
  // logLevel 'error': yaml would otherwise print its warnings (a key that is a collection) to stderr as
  // process warnings, outside the logger; such a key is reported as the unknown key it is.
  const doc = yaml().parseDocument(text, { prettyErrors: true, merge: true, logLevel: 'error' });
  if (doc.errors.length > 0) throw new ConfigError(source, yamlProblems(doc, text, yaml()));
  const tags = tagProblems(doc);
  if (tags.length > 0) throw new ConfigError(source, tags);
  const amplified = aliasAmplification(doc, text, yaml());
  if (amplified !== undefined) throw new ConfigError(source, [amplified]);
  // yaml finds a merge of a non-mapping and an alias bomb only while building the tree, and throws.
  try {
    return { tree: doc.toJS({ maxAliasCount: MAX_ALIAS_COPIES }) as unknown, doc };
  } catch (err) {
    throw new ConfigError(source, [treeProblem(doc, text, err, yaml())]);
  }
}

/** A config file's text parsed and validated; its problems in the order the file has their places (line, then column). */
function parseFileText(text: string, source: string, env: Readonly<Record<string, string | undefined>>): { tree: unknown; config: GatewayConfig } {
  const { tree, doc } = configTree(text, source);
  const result = parseConfig(tree, env);
  if (!result.ok) throw new ConfigError(source, inFileOrder(result.problems, doc, yaml()));
  return { tree, config: result.config };
}

/** Parses YAML text into a config; YAML syntax errors are reported with line and column. */
export function parseConfigText(
  text: string,
  source: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): GatewayConfig {
  return parseFileText(text, source, env).config;
}

/** The largest config file read: far above any real config, far below what would hold a process up. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A config file's text. Only a regular file is read (`-c /dev/zero` would fill memory, a FIFO hang the
 * start), of at most MAX_CONFIG_BYTES, and only UTF-8: Node would replace other bytes with U+FFFD and a
 * key or secret would be silently other than written.
 */
export function readConfigText(path: string): string {
  const refuse = (why: string): never => {
    throw new ConfigError(path, [{ path: '(file)', message: `cannot read config file: ${why}` }], `cannot read config file ${path}: ${why}`);
  };
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return refuse('it is a directory, not a file');
    if (!stat.isFile()) return refuse('it is not a regular file (a device, FIFO or socket)');
    if (stat.size > MAX_CONFIG_BYTES) return refuse(`it is larger than ${MAX_CONFIG_BYTES} bytes`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return refuse(fileProblem(err));
  }
  if (bytes.length > MAX_CONFIG_BYTES) return refuse(`it is larger than ${MAX_CONFIG_BYTES} bytes`);
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (utf16 || bytes.includes(0)) return refuse('it is not UTF-8 text (UTF-16, or NUL bytes): save it as UTF-8');
  try {
    return UTF8.decode(bytes);
  } catch {
    const line = new TextDecoder('utf-8').decode(bytes).split('\uFFFD')[0]?.split('\n').length ?? 1;
    return refuse(`it is not UTF-8 text (line ${line} holds bytes that are not): save it as UTF-8`);
  }
}

/** Reads and validates a YAML config file. */
export function loadConfigFile(path: string, env: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig {
  return parseConfigText(readConfigText(path), path, env);
}

/**
 * Reads and validates a YAML config file, returning its tree too (env references not yet filled): for
 * tools that rewrite the config before building a gateway from it (`drill` points deployments at fault
 * proxies). The tree is read exactly as `loadConfigFile` reads it (merge keys, the same errors).
 */
export function loadConfigTree(path: string, env: Readonly<Record<string, string | undefined>> = process.env): { tree: unknown; config: GatewayConfig } {
  return parseFileText(readConfigText(path), path, env);
}

/** Validates an in-process config object (the library API). */
export function resolveConfig(input: ConfigInput, env: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig {
  const result = parseConfig(input, env);
  if (!result.ok) throw new ConfigError('config', result.problems);
  return result.config;
}
