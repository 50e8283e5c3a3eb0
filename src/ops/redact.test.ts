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

describe('the config view of budget webhooks', () => {
  it('shows a webhook URL by its origin only: its path and query are the credential', () => {
    const parsed = parseConfig(
      {
        deployments: [{ id: 'd', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:1/v1' }],
        budgets: { limits: [{ name: 'b', period: 'daily', soft_usd: 1, webhook: '${SLACK_HOOK}' }] },
      },
      { SLACK_HOOK: 'https://hooks.slack.com/services/T0PLANTED/B0PLANTED/planted-webhook-token?sig=planted-sig' },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const shown = JSON.stringify(redactedConfig(parsed.config));
    for (const planted of ['T0PLANTED', 'planted-webhook-token', 'planted-sig']) expect(shown).not.toContain(planted);
    expect(shown).toContain('"webhook":"https://hooks.slack.com/[redacted]"');
  });
});
