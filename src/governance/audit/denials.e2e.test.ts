import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from './chain.js';
import { post, startKeysServer, type KeysServer } from '../keys/testing/keys-server.js';

const ADMIN = 'sk-admin-for-denials';
const USER = 'sk-user-for-denials';
// What a client might type (or paste) as a model name: a secret, which the refusal's message quotes back.
const PASTED = 'sk-proj-PASTEDsecret0123456789abcdef';

/** A refusal quoting the client's words is audited by its code: what the client typed stays out of the log. */
describe('a permission refusal through the server, in the audit log', () => {
  let server: KeysServer;

  beforeAll(async () => {
    server = await startKeysServer(ADMIN, {
      api_keys: [{ id: 'user', key: USER, groups: ['other'] }],
      groups: [
        { name: 'chat', deployments: ['d0'] },
        { name: 'other', deployments: ['d0'] },
      ],
      // An unknown name goes to `chat`, which this key may not use: model_not_allowed, quoting the name.
      default_group: 'chat',
      routing: { unknown_model_to_default: true },
    });
  });

  afterAll(async () => {
    await server.close();
  });

  it('records model_not_allowed with its code, never the model name the client sent', async () => {
    const denied = await post(server.url, '/v1/chat/completions', USER, { model: PASTED, messages: [{ role: 'user', content: 'hi' }] });
    expect(denied.status).toBe(403);
    // The client is told what it asked for; the audit log is not.
    expect(denied.json).toMatchObject({ error: { code: 'model_not_allowed', message: expect.stringContaining(PASTED.slice(0, 16)) } });
    const audit = server.app.governance.audit;
    expect(audit).toBeDefined();
    const entries: AuditEntry[] = [];
    await expect
      .poll(async () => {
        entries.length = 0;
        for await (const page of audit!.entries()) entries.push(...page);
        return entries.length;
      })
      .toBe(1);
    expect(entries[0]).toMatchObject({ actor: 'key:user', action: 'permission.denied', subject: 'model:<unknown>', details: { code: 'model_not_allowed' } });
    expect(JSON.stringify(entries)).not.toContain('PASTED');
  });
});
