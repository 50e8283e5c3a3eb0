import { EventEmitter } from 'node:events';
import { answer, isCall, type Channel, type Handlers, type PushMessage } from '../rpc.js';

/**
 * A `serve --workers` primary in this process, for specs: each worker's `channel()` delivers its calls
 * to `answer` and the replies back, asynchronously like IPC; `push` sends every worker a message.
 */
export function inProcessPrimary(targets: Record<string, Handlers>): { channel: () => Channel; push: (m: PushMessage) => void } {
  const workers: EventEmitter[] = [];
  const channel = (): Channel => {
    const toWorker = new EventEmitter();
    workers.push(toWorker);
    return {
      send(message) {
        setImmediate(() => {
          if (isCall(message)) void answer(targets, message, 1).then((reply) => setImmediate(() => toWorker.emit('message', reply)));
        });
        return true;
      },
      on: (event, l) => toWorker.on(event, l),
      off: (event, l) => toWorker.off(event, l),
    };
  };
  const push = (m: PushMessage): void => workers.forEach((w) => w.emit('message', m));
  return { channel, push };
}
