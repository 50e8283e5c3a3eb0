import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The installed package's version, from its package.json ('unknown' when none is found): what
 * `switchyard --version` prints and what traces name as `service.version`. Read once.
 */
export function packageVersion(): string {
  cached ??= readVersion();
  return cached;
}

function readVersion(): string {
  // The source, the build and a bundle's chunk sit at different depths below the package.
  for (const up of ['../package.json', '../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'switchyard' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not this one.
    }
  }
  return 'unknown';
}
