import { parseArgs } from 'node:util';
import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { keysAdmin } from '../../governance/keys/admin.js';
import { KeyPolicyError } from '../../governance/keys/policy.js';
import { KeyStore } from '../../governance/keys/store.js';
import { silentLogger } from '../../core/logger.js';
import { actionArgs, namedErrors, UsageError, type Actions, type Command } from '../command.js';
import { openGovernanceDb } from './governance-db.js';

const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));

/** A refusal in the words of the command line: it names the flag that set the field, if one did (`groups[0]`: --groups). */
function refusal(err: GatewayError, given: ReadonlySet<string>): string {
  if (!(err instanceof KeyPolicyError)) return err.message;
  const field = err.field.split(/[.[]/)[0] ?? '';
  return given.has(field) ? `--${field.replaceAll('_', '-')}: ${err.problem}` : err.message;
}

const KEY_ID = 'the key id';
const ACTIONS: Actions<'create' | 'list' | 'revoke' | 'rotate'> = { create: [], list: [], revoke: [KEY_ID], rotate: [KEY_ID] };

export const keysCommand: Command = {
  name: 'keys',
  usage: 'switchyard keys create|list|revoke ID|rotate ID -c FILE [--owner O] [--team T] [--role admin|user] [--residency R] [--groups a,b] [--models a,b] [--expires-at ISO] [--policy JSON]',
  summary: 'manage virtual keys in the ledger database (the secret is printed once)',
  help: [
    'create   makes a key with the given policy and prints its secret once (only an HMAC is stored)',
    'list     lists keys (never secrets)',
    'revoke   revokes key ID; every replica stops accepting it within a second',
    'rotate   issues a new secret for key ID; the old one stops working',
    'needs keys.hmac_secret in the config and a SQL ledger (sqlite or postgres).',
    '',
    'example: switchyard keys create -c switchyard.yaml --owner alice --team search --groups chat',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        owner: { type: 'string' },
        team: { type: 'string' },
        role: { type: 'string' },
        residency: { type: 'string' },
        groups: { type: 'string' },
        models: { type: 'string' },
        'expires-at': { type: 'string' },
        policy: { type: 'string' },
      },
      allowPositionals: true,
    });
    const { action, args: [id] } = actionArgs(positionals, ACTIONS, this.usage);
    if (!values.config) throw new UsageError('name the config file (-c FILE)');
    // Only create may make the ledger: list reads, and revoke and rotate change a key that must already be in it.
    const said = namedErrors(io, 'keys');
    const db = await openGovernanceDb(values.config, said, action === 'create' ? 'write' : 'read');
    if (!db) return 1;
    // The policy fields set by flags, so a refusal names the flag rather than the field.
    const given = new Set<string>();
    try {
      const secret = db.config.keys.hmac_secret;
      if (!secret) {
        said.err('virtual keys need keys.hmac_secret in the config (e.g. ${SWITCHYARD_KEY_SECRET})');
        return 1;
      }
      const admin = keysAdmin(new KeyStore({ driver: db.store.sql, hmacSecret: secret.reveal(), config: db.config, audit: db.audit, logger: silentLogger, refreshMs: db.config.keys.refresh_ms }));
      let result: unknown;
      if (action === 'list') result = await admin.list();
      else if (action === 'revoke') result = await admin.revoke(id as string, db.actor);
      else if (action === 'rotate') result = await admin.rotate(id as string, db.actor);
      else {
        let body: unknown;
        try {
          body = values.policy === undefined ? {} : JSON.parse(values.policy);
        } catch {
          body = undefined;
        }
        // `null`, an array or a string is no policy, and the flags below could not be set on it.
        if (!isObject(body)) throw new UsageError('--policy must be a JSON object');
        const flags = { owner: values.owner, team: values.team, role: values.role, residency: values.residency, groups: list(values.groups), models: list(values.models), expires_at: values['expires-at'] };
        for (const [k, v] of Object.entries(flags)) {
          if (v === undefined) continue;
          body[k] = v;
          given.add(k);
        }
        result = await admin.create(body, db.actor);
      }
      io.out(JSON.stringify(result, null, 2));
      if (action === 'create' || action === 'rotate') io.err('The key is shown this once; store it now.');
      return 0;
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500) {
        said.err(refusal(err, given));
        // A refused argument is a bad command line: an id that is no key id, or a policy the flags made and
        // the store refuses (an unknown role, group or residency). An unknown key is not (exit 1).
        if (err.status !== 400) return 1;
        io.err(`usage: ${this.usage}`);
        return 2;
      }
      throw err;
    } finally {
      await db.store.close();
    }
  },
};
