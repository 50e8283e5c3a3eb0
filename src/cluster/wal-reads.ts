import type { ClusterLook, ClusterReads } from '../ledger/store/wal-gate.js';

/** The primary's methods counting the workers' SQLite ledger reads (`WalReadCounts`). */
export const WAL_READS_TARGET = 'walReads';

/** What the primary answers a gate's look: the other gates' reads of the file, and their outsider episode. */
interface Seen {
  running: number;
  started: number;
  ungatedUntil?: number;
}

interface FileReads {
  /** Reads started on the file by any gate, ever. */
  started: number;
  /** Until when a gate found an outside reader and lets reads go ungated. */
  ungatedUntil?: number;
  gates: Map<string, { worker: number; running: number; started: number }>;
}

/**
 * The primary's count of the `serve --workers` workers' running ledger reads per SQLite file, which each
 * worker's `WalGate` consults before it blames a checkpoint kept back on an outside reader. A gate is
 * one worker's open driver (a reload opens another); a closed gate's and an exited worker's counts go.
 */
export class WalReadCounts {
  private readonly files = new Map<string, FileReads>();

  started(worker: number, gate: number, path: string): void {
    const file = this.file(path);
    const own = this.gate(file, worker, gate);
    file.started++;
    own.started++;
    own.running++;
  }

  ended(worker: number, gate: number, path: string): void {
    const own = this.files.get(path)?.gates.get(`${worker}:${gate}`);
    if (own && own.running > 0) own.running--;
  }

  /** The reads of every gate on `path` but the asker's: running now and started ever, and the outsider episode. */
  look(worker: number, gate: number, path: string): Seen {
    const file = this.file(path);
    const own = this.gate(file, worker, gate);
    let running = 0;
    for (const g of file.gates.values()) if (g !== own) running += g.running;
    return { running, started: file.started - own.started, ungatedUntil: file.ungatedUntil };
  }

  ungated(path: string, until: number): void {
    const file = this.file(path);
    file.ungatedUntil = Math.max(file.ungatedUntil ?? until, until);
  }

  closed(worker: number, gate: number, path: string): void {
    const file = this.files.get(path);
    file?.gates.delete(`${worker}:${gate}`);
    if (file?.gates.size === 0) this.files.delete(path);
  }

  /** A worker exited: the reads it had running (it died mid-read, say) hold no checkpoint back now. */
  forget(worker: number): void {
    for (const [path, file] of this.files) {
      for (const [key, g] of file.gates) if (g.worker === worker) file.gates.delete(key);
      if (file.gates.size === 0) this.files.delete(path);
    }
  }

  private file(path: string): FileReads {
    let file = this.files.get(path);
    if (!file) this.files.set(path, (file = { started: 0, gates: new Map() }));
    return file;
  }

  private gate(file: FileReads, worker: number, gate: number): { worker: number; running: number; started: number } {
    const key = `${worker}:${gate}`;
    let own = file.gates.get(key);
    if (!own) file.gates.set(key, (own = { worker, running: 0, started: 0 }));
    return own;
  }
}

/** A worker's call as the primary receives it: its id, its gate's number and the file, then what the method takes. */
function gateArgs(args: readonly unknown[]): [number, number, string] {
  const [worker, gate, path] = args;
  if (typeof worker !== 'number' || typeof gate !== 'number' || typeof path !== 'string') throw new Error('walReads takes a worker id, a gate number and a path');
  return [worker, gate, path];
}

/** The primary's `walReads` methods over its counts. */
export function walReadHandlers(counts: WalReadCounts) {
  return {
    started: async (args: readonly unknown[]) => counts.started(...gateArgs(args)),
    ended: async (args: readonly unknown[]) => counts.ended(...gateArgs(args)),
    look: async (args: readonly unknown[]) => counts.look(...gateArgs(args)),
    closed: async (args: readonly unknown[]) => counts.closed(...gateArgs(args)),
    ungated: async (args: readonly unknown[]) => {
      const [, , path] = gateArgs(args);
      if (typeof args[3] !== 'number') throw new Error('walReads.ungated takes a time');
      counts.ungated(path, args[3]);
    },
  };
}

/**
 * A worker's side: one `ClusterReads` per gate (per opened SQLite driver), telling the primary of its
 * reads through `call` (`RpcClient.call` on `WAL_READS_TARGET`). Starts and ends are not awaited: a
 * read never waits on the primary, and the channel keeps them in order.
 */
export function clusterWalReads(call: (method: string, args: readonly unknown[]) => Promise<unknown>, worker: number): (path: string) => ClusterReads {
  let gates = 0;
  return (path) => {
    const gate = ++gates;
    const tell = (method: string, ...more: unknown[]): void => void call(method, [worker, gate, path, ...more]).catch(() => undefined);
    let last: Seen | undefined;
    return {
      readStarted: () => tell('started'),
      readEnded: () => tell('ended'),
      ungated: (until) => tell('ungated', until),
      close: () => tell('closed'),
      async look(): Promise<ClusterLook> {
        const seen = (await call('look', [worker, gate, path])) as Seen;
        // A read that ran during the checkpoint was running at the last look, runs now, or started in between.
        const othersRead = last === undefined || last.running > 0 || seen.running > 0 || seen.started !== last.started;
        last = seen;
        return { othersRead, ungatedUntil: seen.ungatedUntil };
      },
    };
  };
}
