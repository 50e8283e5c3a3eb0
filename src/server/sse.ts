import type { ServerResponse } from 'node:http';

/** Writes one SSE `data:` frame, waiting for the socket to drain when the client reads slowly. */
export async function writeData(res: ServerResponse, json: string): Promise<void> {
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
