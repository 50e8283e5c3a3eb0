import type { ServerResponse } from 'node:http';

const uncork = (res: ServerResponse): void => {
  res.uncork();
};

/**
 * Writes one SSE `data:` frame. Frames written in the same turn of the event loop (the events of one
 * upstream read) leave in one syscall: the response is corked until the turn ends. Waits for the
 * socket to drain when the client reads slowly.
 */
export async function writeData(res: ServerResponse, json: string): Promise<void> {
  if (res.writableCorked === 0) {
    res.cork();
    setImmediate(uncork, res);
  }
  if (!res.write(`data: ${json}\n\n`)) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
  }
}
