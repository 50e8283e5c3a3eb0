import { createServer } from 'node:net';

/**
 * The exit code of a `serve --workers` worker that cannot listen (the port taken after the primary's
 * check, say): restarting it would fail the same way, so the primary stops instead (EX_CONFIG).
 */
export const CANNOT_LISTEN_EXIT = 78;

/** Why a failed listen failed, in an operator's words; undefined for an error that is not about listening. */
export function listenFailure(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'the port is in use';
  if (code === 'EACCES') return 'not permitted (a port below 1024 needs privileges)';
  if (code === 'EADDRNOTAVAIL') return 'no such address on this machine';
  return undefined;
}

/**
 * Why `host:port` cannot be listened on (e.g. "the port is in use"), or undefined when it can. The
 * primary of `serve --workers N` asks before forking: a worker that cannot listen would crash and be
 * restarted again and again, each time failing the same way.
 */
export function listenProblem(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(listenFailure(err) ?? err.message));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
