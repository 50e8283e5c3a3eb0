import type { Socket } from 'node:net';

/** Sends one keep-alive GET on `socket` and resolves with the raw response head once its body is in. */
export function keepAliveGet(socket: Socket, path: string, headers = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text);
      if (end !== -1 && length && text.length >= end + 4 + Number(length[1])) done(() => resolve(text.slice(0, end)));
    };
    const onEnd = (): void => done(() => reject(new Error(`connection closed without an answer (${JSON.stringify(text)})`)));
    const done = (then: () => void): void => {
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      then();
    };
    socket.on('data', onData);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
    socket.write(`GET ${path} HTTP/1.1\r\nhost: gateway\r\nconnection: keep-alive\r\n${headers}\r\n`);
  });
}
