import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveProcess, writeServeConfig } from '../../testing/serve-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('serve with secrets written out as values', () => {
  it('starts, and logs one warning per such secret at start, naming its path and never its value', async () => {
    const extra = ['ledger: { enabled: false }', 'api_keys:', '  - { id: k, key: client-literal-key }', '  - { id: k2, key: "${SERVE_LITERAL_UNSET:-client-default}" }'];
    const gw = await serveProcess(writeServeConfig(mkdtempSync(join(tmpdir(), 'serve-literal-')), 'http://127.0.0.1:9', extra), { cleanup });
    const warnings = gw.lines().filter((l) => l.msg === 'a literal secret in the config file; use ${ENV_VAR} or file:/path');
    expect(warnings.map((l) => [l.level, l.path])).toEqual([[40, 'api_keys[0].key']]);
    expect(JSON.stringify(gw.lines())).not.toContain('client-literal-key');
  });
});
