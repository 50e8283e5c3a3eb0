import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type ConfigInput, type DeploymentConfig, type GatewayConfig } from './schema.js';
import { formatPath, interpolateEnv, type ConfigProblem } from './interpolate.js';
import { PROVIDERS, findProvider } from '../providers/registry.js';
import { checkRoutingReferences } from '../routing/references.js';
import { checkAccessReferences } from '../routing/access.js';

export type { ConfigProblem } from './interpolate.js';

/** Raised when a config cannot be used; `problems` lists every mistake with its path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${source}: invalid config\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const RESOLVED = Symbol.for('switchyard.resolvedConfig');

/** True for a config that came out of parseConfig (so it is not validated twice). */
export function isResolvedConfig(config: ConfigInput | GatewayConfig): config is GatewayConfig {
  return (config as unknown as Record<symbol, unknown>)[RESOLVED] === true;
}

function zodProblems(issues: ReadonlyArray<z.core.$ZodIssue>, prefix: PropertyKey[] = []): ConfigProblem[] {
  return issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
}

/**
 * Validates a parsed config tree (env references not yet interpolated). Returns the typed config or
 * every problem found, each named by its path.
 */
export function parseConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { ok: true; config: GatewayConfig } | { ok: false; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const interpolated = interpolateEnv(raw, env, problems);
  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) {
    // A missing variable already explains why the value at its path is empty.
    const explained = new Set(problems.map((p) => p.path));
    problems.push(...zodProblems(parsed.error.issues).filter((p) => !explained.has(p.path)));
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  problems.push(...checkRoutingReferences(parsed.data), ...checkAccessReferences(parsed.data));

  const deployments: DeploymentConfig[] = [];
  parsed.data.deployments.forEach((d, i) => {
    const factory = findProvider(d.provider);
    if (!factory) {
      problems.push({
        path: `deployments[${i}].provider`,
        message: `unknown provider "${d.provider}"; expected one of ${PROVIDERS.map((p) => p.type).join(', ')}`,
      });
      return;
    }
    const options = factory.options.safeParse(d);
    if (!options.success) {
      problems.push(...zodProblems(options.error.issues, ['deployments', i]));
      return;
    }
    const carry = d.passthrough.length > 0 ? factory.passthroughProblem(d.passthrough, d, options.data) : undefined;
    if (carry !== undefined) {
      problems.push({ path: `deployments[${i}].passthrough`, message: carry });
      return;
    }
    deployments.push({ ...d, options: options.data });
  });
  if (problems.length > 0) return { ok: false, problems };
  const config: GatewayConfig = { ...parsed.data, deployments };
  Object.defineProperty(config, RESOLVED, { value: true, enumerable: false });
  return { ok: true, config };
}

/** Parses YAML text into a config; YAML syntax errors are reported with line and column. */
export function parseConfigText(
  text: string,
  source: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const result = parseConfig(doc.toJS(), env);
  if (!result.ok) throw new ConfigError(source, result.problems);
  return result.config;
}

/** Reads and validates a YAML config file. */
export function loadConfigFile(path: string, env: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '(file)', message: `cannot read config file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  return parseConfigText(text, path, env);
}

/** Validates an in-process config object (the library API). */
export function resolveConfig(input: ConfigInput, env: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig {
  const result = parseConfig(input, env);
  if (!result.ok) throw new ConfigError('config', result.problems);
  return result.config;
}
