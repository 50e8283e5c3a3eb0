import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The prefix the Functions host puts in front of every HTTP route when host.json names none. */
const AZURE_DEFAULT_PREFIX = 'api';

/**
 * host.json's `extensions.http.routePrefix`, as the host applies it: the app setting
 * `AzureFunctionsJobHost__extensions__http__routePrefix` overrides host.json (the host's own rule for
 * every host.json key), host.json's value (in `appDir`, the app's root) else, Azure's `api` when neither
 * says. An app that kept the default was answered 404 on every route: the adapter, told no prefix,
 * routed `/api/v1/...` as it came.
 */
export function routePrefixOf(env: Readonly<Record<string, string | undefined>>, appDir: string): string {
  const setting = env.AzureFunctionsJobHost__extensions__http__routePrefix;
  if (setting !== undefined) return setting;
  return hostJsonPrefix(appDir) ?? AZURE_DEFAULT_PREFIX;
}

function hostJsonPrefix(appDir: string): string | undefined {
  try {
    const host = JSON.parse(readFileSync(join(appDir, 'host.json'), 'utf8')) as { extensions?: { http?: { routePrefix?: unknown } } };
    const prefix = host.extensions?.http?.routePrefix;
    return typeof prefix === 'string' ? prefix : undefined;
  } catch {
    return undefined;
  }
}
