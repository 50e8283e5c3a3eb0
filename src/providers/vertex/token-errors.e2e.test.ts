import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../../config/load.js';
import type { Logger } from '../../core/logger.js';
import { createApp, type App } from '../../app.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import type { SimServer } from '../../sim/server.js';

/*
 * Google's token endpoints answer a refused exchange with `{error, error_description}`, which
 * google-auth-library puts in its error's message: the upstream's words, like an upstream's error body.
 * Workload identity federation (an `external_account` credential) names its token endpoint, so a loopback
 * one stands in for Google's STS here, its words quoting a credential and a terminal escape.
 */

const KEY = 'gw-token-errors-key-0123456789';
const MARK = 'Token exchange refused TOKENMARK';
// Placed across character 200 of the library's message, where a cut before the scrub would halve it.
const FOREIGN_KEY_ID = 'AKIAFOREIGN012345678';
const DESCRIPTION = `${MARK}: ${'abc '.repeat(30)} \u001b[2J seen ${FOREIGN_KEY_ID} in the request.`;

describe('a Vertex deployment whose token endpoint refuses', () => {
  const account = createSimServiceAccount('token-project');
  const lines: string[] = [];
  let tokenEndpoint: Server;
  let sim: SimServer;
  let dir: string;
  let app: App;
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vertex-token-'));
    tokenEndpoint = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant', error_description: DESCRIPTION })));
    });
    await new Promise<void>((resolve) => tokenEndpoint.listen(0, '127.0.0.1', resolve));
    sim = await startVertexSim({ publicKey: account.publicKey, project: 'token-project' });
    const subject = join(dir, 'subject-token');
    writeFileSync(subject, 'subject-token-from-the-platform');
    const federated = JSON.stringify({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/providers/idp',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: `http://127.0.0.1:${(tokenEndpoint.address() as AddressInfo).port}/v1/token`,
      credential_source: { file: subject },
    });
    const vertex = { provider: 'vertex', model: 'gemini-2.5-flash', project: 'token-project', region: 'europe-west4', endpoint: sim.url, credentials_file: '${FEDERATED}' };
    const parsed = parseConfig(
      {
        api_keys: [{ id: 'k', key: KEY }],
        logging: { upstream_error_text: true },
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        deployments: [
          { id: 'vertex', ...vertex },
          { id: 'vertex-exposed', ...vertex, expose_upstream_errors: true },
        ],
        ledger: { enabled: false },
      },
      { FEDERATED: federated },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (obj, msg) => void lines.push(JSON.stringify({ ...obj, msg })),
      error: (obj, msg) => void lines.push(JSON.stringify({ ...obj, msg })),
      child: () => logger,
    };
    app = await createApp(parsed.config, { logger, accessLogger: logger });
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, onClose: () => app.close() });
    client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
    await new Promise((resolve) => tokenEndpoint.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = (model: string): Promise<InstanceType<typeof OpenAI.APIError>> =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).then(
      () => {
        throw new Error('expected the request to fail');
      },
      (err: unknown) => err as InstanceType<typeof OpenAI.APIError>,
    );

  it("answers a 502 in our words only: the token endpoint's are the upstream's, not shown by default", async () => {
    const err = await refusal('vertex');
    expect(err.status).toBe(502);
    expect(err.message).toContain('could not obtain Google credentials');
    expect(err.message).not.toContain('TOKENMARK');
    expect(err.message).not.toContain('invalid_grant');
  });

  it('shows them scrubbed, before they are cut, to clients of a deployment that exposes upstream errors', async () => {
    const err = await refusal('vertex-exposed');
    expect(err.message).toContain(`Upstream said: Error code invalid_grant: ${MARK}`);
    expect(err.message).toContain('seen [redacted] in the request.');
    expect(err.message).not.toContain('AKIAFOREIG');
    expect(err.message).not.toContain('\u001b');
  });

  it('logs them as any upstream error text, scrubbed', () => {
    const logged = lines.filter((l) => l.includes('"msg":"upstream error"'));
    expect(logged.length).toBe(2);
    for (const line of logged) expect(line).toContain('TOKENMARK');
    expect(lines.join('\n')).not.toContain('AKIAFOREIG');
  });
});
