import { createServer } from 'node:net';

/**
 * Why `host:port` cannot be listened on (e.g. "the port is in use"), or undefined when it can. The
 * primary of `serve --workers N` asks before forking: a worker that cannot listen would crash and be
 * restarted again and again, each time failing the same way.
 */
export function listenProblem(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EACCES' ? 'not permitted (a port below 1024 needs privileges)' : err.message),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
