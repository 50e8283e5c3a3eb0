import type { AuditLog } from '../governance/audit/log.js';
import * as z from '../config/zod.js';
import { GatewayError } from '../core/errors.js';
import { isObject } from '../core/json.js';
import type { JsonValue } from '../core/types.js';
import type { Gateway } from '../gateway/gateway.js';
import type { DeploymentStatus } from '../routing/deployment-state.js';
import { redactedConfig } from './redact.js';
import type { ReloadResult } from './reload.js';

/** What the admin operations need of the running process: the current gateway, and a reload. */
export interface AdminTarget {
  /** The gateway new requests go to (the AppHolder's current one). */
  gateway(): Gateway;
  /** Absent where the process cannot reload (serverless, the demo): the reload route answers 501 then. */
  reload?: () => Promise<ReloadResult>;
  /** Why there is no `reload`, in the 501's words, which say what to do instead: each runtime's own. */
  noReload?: string;
  /**
   * The audit log of the current app, where a reloadable process records admin actions: after a
   * reload the app that served the request is retired, its database handle closed.
   */
  audit?: () => AuditLog | undefined;
  /** Where the process listens, once it does; absent where no listener is the gateway's (serverless). */
  listening?: () => Listening | undefined;
}

/** The address a process listens on: the host it was given and the port it bound (`server.port: 0` or `--port 0` take a free one). */
export interface Listening {
  host: string;
  port: number;
  /** The command-line flag (`--host`, `--port`) that set each half, where one did instead of the config. */
  flags: Partial<Record<ListenSetting, string>>;
}

type ListenSetting = 'host' | 'port';

/** `Listening` of a server started with the `--host`/`--port` values `given` (each undefined without its flag) on the config's `host`, bound to `port`. */
export function listeningAt(given: { host: string | undefined; port: number | undefined }, host: string, port: number): Listening {
  const flags = { ...(given.host !== undefined && { host: '--host' }), ...(given.port !== undefined && { port: '--port' }) };
  return { host: given.host ?? host, port, flags };
}

/** One admin request, already authenticated as an admin key by the HTTP layer. */
export interface AdminCall {
  /** Path parameters: `id` of the deployment or breaker. */
  params: Readonly<Record<string, string>>;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
  /** Who asked (the admin key id), for the audit line. */
  actor: string | undefined;
}

export type AdminOperation = (target: AdminTarget, call: AdminCall) => Promise<JsonValue | DeploymentStatus | ReloadResult>;

const reasonBody = z.strictObject({ reason: z.string().min(1).max(500).optional() }).optional();

/** The body of an action that takes none: absent or `{}`; the audit log keeps a body as the action's details. */
const noBody = z.strictObject({}).optional();

/** The latest time a JS Date holds (year 275760): a later number has no date to name in the audit line. */
const MAX_TIME_MS = 8.64e15;

const noticeBody = z.strictObject({
  /**
   * When the capacity goes away: RFC 3339 or ms since the epoch. Only named in the drain's reason (the
   * drain starts at once whatever it says), so a past deadline (a late notice) is taken as it is.
   */
  deadline: z.union([
    z.iso.datetime({ offset: true }),
    z.number().int().nonnegative().max(MAX_TIME_MS, { message: `not a valid time: ms since the epoch, at most ${MAX_TIME_MS}` }),
  ]).optional(),
  /** Who noticed (aws, gcp, azure, a node agent's name): for the audit line. */
  source: z.string().min(1).max(100).optional(),
}).optional();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = issue?.path.join('.') || undefined;
  throw new GatewayError({ kind: 'invalid_request', message: `Invalid request body${param ? ` at ${param}` : ''}: ${issue?.message ?? 'unexpected shape'}.`, param, code: 'invalid_value' });
}

/**
 * The deployment `{id}` names, or a 404 that does not quote it: an admin pasting a key where the id goes
 * would get it back in the message, which client and proxy logs keep.
 */
function deploymentOf(gateway: Gateway, call: AdminCall): Gateway['config']['deployments'][number] {
  const d = gateway.config.deployments.find((x) => x.id === call.params.id);
  if (!d) throw new GatewayError({ kind: 'not_found', status: 404, code: 'unknown_deployment', message: 'No deployment has that id (GET /v1/switchyard/status lists them).' });
  return d;
}

/** POST /v1/switchyard/deployments/{id}/drain `{ reason? }`: manual failover, audited. */
export const drainDeployment: AdminOperation = async (target, call) => {
  const { reason } = parse(reasonBody, call.body) ?? {};
  const gateway = target.gateway();
  return gateway.drain(deploymentOf(gateway, call).id, { actor: call.actor, reason: reason ?? 'drained through the admin API' });
};

/** POST /v1/switchyard/deployments/{id}/undrain `{ reason? }`. */
export const undrainDeployment: AdminOperation = async (target, call) => {
  const { reason } = parse(reasonBody, call.body) ?? {};
  const gateway = target.gateway();
  return gateway.undrain(deploymentOf(gateway, call).id, { actor: call.actor, reason });
};

/**
 * POST /v1/switchyard/deployments/{id}/interruption `{ deadline?, source? }`: a spot/preemption notice
 * for the node a self-hosted model server runs on (a node agent's webhook). Only a deployment marked
 * `interruptible` takes one, so a misdirected notice cannot take a regular deployment out.
 */
export const noticeInterruption: AdminOperation = async (target, call) => {
  const notice = parse(noticeBody, call.body) ?? {};
  const gateway = target.gateway();
  const d = deploymentOf(gateway, call);
  if (!d.interruptible) {
    throw new GatewayError({ kind: 'invalid_request', status: 409, code: 'not_interruptible', message: `Deployment '${d.id}' is not marked interruptible; drain it instead.` });
  }
  const deadline = notice.deadline === undefined ? undefined : new Date(notice.deadline).toISOString();
  const reason = `interruption notice${notice.source ? ` from ${notice.source}` : ''}${deadline ? `, capacity goes at ${deadline}` : ''}`;
  return gateway.drain(d.id, { actor: call.actor, reason });
};

/** POST /v1/switchyard/breakers/{id}/reset. */
export const resetBreaker: AdminOperation = async (target, call) => {
  parse(noBody, call.body);
  const gateway = target.gateway();
  return gateway.resetBreaker(deploymentOf(gateway, call).id, { actor: call.actor });
};

/**
 * GET /v1/switchyard/config: the running config, secrets redacted, with `server.host` and `server.port`
 * where the process listens; each that differs from the config's value is listed under `overridden` by
 * its path, with the config's value and what overrode it.
 */
export const showConfig: AdminOperation = async (target) => {
  const config = target.gateway().config;
  const shown = redactedConfig(config);
  const at = target.listening?.();
  if (at === undefined || !isObject(shown) || !isObject(shown.server)) return shown;
  const overridden: Record<string, JsonValue> = {};
  for (const setting of ['host', 'port'] as const) {
    const configured = config.server[setting];
    if (at[setting] !== configured) overridden[`server.${setting}`] = { config: configured, by: at.flags[setting] ?? notFollowed(setting, configured) };
  }
  const server = { ...shown.server, host: at.host, port: at.port };
  return Object.keys(overridden).length === 0 ? { ...shown, server } : { ...shown, server, overridden };
};

/** Why the listener is not where the config says though no flag moved it. */
function notFollowed(setting: ListenSetting, configured: string | number): string {
  if (setting === 'port' && configured === 0) return 'server.port 0: a free port the system chose';
  return 'the config the process started with: a reload does not move the listener';
}

/** The 501 of a gateway built in its own process from a config object: no file to read again. */
export const NO_RELOAD = 'This gateway was built from a config in its process, not a file it could read again: restart it with the new config (switchyard serve -c FILE reloads).';

/** POST /v1/switchyard/reload: validated first; an invalid file keeps the running config (422 saying why). */
export const reloadConfig: AdminOperation = async (target, call) => {
  parse(noBody, call.body);
  if (!target.reload) throw new GatewayError({ kind: 'invalid_request', status: 501, code: 'reload_unsupported', message: target.noReload ?? NO_RELOAD });
  return target.reload();
};

export interface AdminRoute {
  method: 'GET' | 'POST';
  /** The path; `{id}` is a parameter. */
  path: string;
  run: AdminOperation;
  /** The audit log's action, and what its subject names (`deployment:<id>`, `config`). */
  action: string;
  subject: string;
  /** What the audit entry keeps of the result beside the request's body (a reload's `changes`). */
  audited?: (result: Awaited<ReturnType<AdminOperation>>) => Record<string, unknown>;
}

const route = (method: AdminRoute['method'], path: string, run: AdminOperation, action: string, subject: string, audited?: AdminRoute['audited']): AdminRoute => ({ method, path, run, action, subject, ...(audited && { audited }) });

/** What a reload's entry keeps of its answer: the change, and under `--workers` the version each worker applied and whether one did not. */
const RELOAD_AUDITED = ['changes', 'version', 'workers', 'partial'] as const;

/** A reload's entry says what changed (paths, no secret's value): the body it was asked with is empty. */
const reloadChanges: AdminRoute['audited'] = (result) => {
  if (!isObject(result) || !('changes' in result)) return {};
  return Object.fromEntries(RELOAD_AUDITED.filter((k) => k in result).map((k) => [k, result[k]]));
};

/** Every admin route (admin keys only). */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  route('POST', '/v1/switchyard/deployments/{id}/drain', drainDeployment, 'deployment.drained', 'deployment'),
  route('POST', '/v1/switchyard/deployments/{id}/undrain', undrainDeployment, 'deployment.undrained', 'deployment'),
  route('POST', '/v1/switchyard/deployments/{id}/interruption', noticeInterruption, 'deployment.interruption_noticed', 'deployment'),
  route('POST', '/v1/switchyard/breakers/{id}/reset', resetBreaker, 'breaker.reset', 'breaker'),
  route('GET', '/v1/switchyard/config', showConfig, 'config.viewed', 'config'),
  route('POST', '/v1/switchyard/reload', reloadConfig, 'config.reloaded', 'config', reloadChanges),
];
