import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway service account for the simulator: its key JSON and the public half to verify with. */
export interface SimServiceAccount {
  /** Service-account key JSON, as Google's console downloads it. */
  json: string;
  clientEmail: string;
  privateKeyPem: string;
  publicKey: KeyObject;
}

/**
 * Generates a fresh RSA key and wraps it as a service-account key. Clients set to self-signed JWTs
 * (google-auth-library's useJWTAccessWithScope) sign their own tokens with it, so no token endpoint
 * is involved and nothing leaves the machine.
 */
export function createSimServiceAccount(project = 'sim-project'): SimServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clientEmail = `switchyard-sim@${project}.iam.gserviceaccount.com`;
  const json = JSON.stringify({
    type: 'service_account',
    project_id: project,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: '100000000000000000001',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
  return { json, clientEmail, privateKeyPem, publicKey };
}

/**
 * Writes the key JSON to a private temp file, so a config can name it as `file:/path` rather than
 * carry the key inline (where a printed config would show it). `remove` deletes it.
 */
export function writeSimServiceAccount(account: SimServiceAccount): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-vertex-'));
  const path = join(dir, 'service-account.json');
  writeFileSync(path, account.json, { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
