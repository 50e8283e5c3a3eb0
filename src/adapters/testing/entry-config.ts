import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A config file for the serverless entries' `main` modules: one openai-compatible deployment `sim` on
 * the simulator at `simUrl`, callable by its id, no ledger. Returns its absolute path (for SWITCHYARD_CONFIG).
 */
export function writeEntryConfig(simUrl: string): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-main-'));
  const path = join(dir, 'switchyard.yaml');
  writeFileSync(
    path,
    `routing: { allow_direct_deployments: true }
server: { allow_unauthenticated: true }
deployments:
  - { id: sim, provider: openai-compatible, model: gpt-4o-mini, endpoint: "${simUrl}/v1" }
ledger: { enabled: false }
`,
  );
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A streamed chat request body for `sim`. */
export const STREAMED_CHAT = JSON.stringify({ model: 'sim', stream: true, messages: [{ role: 'user', content: 'Hello main' }] });
