import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { createSimServiceAccount } from '../sim/vertex/credentials.js';
import { redactedConfig } from './redact.js';

describe('the config view', () => {
  it("shows no provider credential, in the deployment's raw keys or its parsed options", () => {
    const account = createSimServiceAccount('redact-project');
    const privateKey = (JSON.parse(account.json) as { private_key: string }).private_key;
    const parsed = parseConfig(
      {
        deployments: [
          { id: 'b', provider: 'bedrock', model: 'm', region: 'us-east-1', access_key_id: 'AKIAPLANTEDKEY000001', secret_access_key: 'planted-secret-access-key', session_token: 'planted-session-token' },
          { id: 'v', provider: 'vertex', model: 'gemini-2.5-flash', project: 'redact-project', region: 'us-central1', credentials_file: '${VERTEX_SA}' },
        ],
      },
      { VERTEX_SA: account.json },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const shown = JSON.stringify(redactedConfig(parsed.config));
    for (const planted of ['AKIAPLANTEDKEY000001', 'planted-secret-access-key', 'planted-session-token', 'PRIVATE KEY', privateKey.slice(40, 80)]) expect(shown).not.toContain(planted);
    expect(shown).toContain('"access_key_id":"[redacted]"');
    expect(shown).toContain('"credentials_file":"[redacted]"');
  });
});
