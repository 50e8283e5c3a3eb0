import { createServer } from 'node:net';

/**
 * The exit code of a `serve --workers` worker that cannot start: it cannot listen (the port taken after
 * the primary's check, say), or its app refused a setting of the config (a ledger folder the filesystem
 * refuses). Restarting it would fail the same way, so the primary stops instead (EX_CONFIG).
 */
export const CANNOT_START_EXIT = 78;

/** Why a failed listen failed, in an operator's words; undefined for an error that is not about listening. */
export function listenFailure(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'the port is in use';
  if (code === 'EACCES') return 'not permitted (a port below 1024 needs privileges)';
  if (code === 'EADDRNOTAVAIL') return 'no such address on this machine';
  if (code === 'ENOTFOUND') return 'the host name resolves to no address';
  if (code === 'EAI_AGAIN') return 'the host name could not be resolved now (the name service did not answer)';
  return undefined;
}

/** Listen failures that are the host's (a name that resolves to nothing, an address not on this machine) rather than the port's. */
const HOST_FAILURES = new Set(['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/** Which setting a listen failure is about, so the message can name it; undefined when it cannot be told. */
export function listenFailurePart(err: unknown): 'host' | 'port' | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return undefined;
  if (HOST_FAILURES.has(code)) return 'host';
  return code === 'EADDRINUSE' || code === 'EACCES' ? 'port' : undefined;
}

/** Why a listen failed, and whether the host or the port is to blame. */
export interface ListenProblem {
  reason: string;
  part: 'host' | 'port' | undefined;
}

/**
 * Why `host:port` cannot be listened on (e.g. "the port is in use"), or undefined when it can. The
 * primary of `serve --workers N` asks before forking: a worker that cannot listen would crash and be
 * restarted again and again, each time failing the same way.
 */
export function listenProblem(host: string, port: number): Promise<ListenProblem | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve({ reason: listenFailure(err) ?? err.message, part: listenFailurePart(err) }));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
