/**
 * The upstream of the timing spec (`upstream-timing.test.ts`): a loopback server that answers each
 * request by a stall scenario, taken from the case id the client put in its prompt (`case-<n>`), so cases
 * run side by side. Each scenario plays a valid seed reply (`upstream-seeds.ts`) of the deployment's wire
 * with its time taken away: no headers, headers then silence, content then silence, content trickled
 * forever, the connection dropped mid-event or mid-body, or half a body then silence. It remembers every
 * exchange's socket, so a spec can tell the gateway closed what it gave up on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { contentType, encodeEvent } from './reply-mutate.js';
import { REPLY_SEEDS, type ReplySeed, type Wire } from './upstream-seeds.js';

export type Stall =
  /** (a) Never sends the status line. */
  | 'no headers'
  /** (b) Sends the headers, then nothing. */
  | 'headers then stall'
  /** (c) A stream's events before its first content, then nothing. */
  | 'stall before content'
  /** (c) A stream's events up to its first content, then nothing. */
  | 'stall after content'
  /** (d) A stream's first content, then the same content every TRICKLE_MS; a body a few bytes every TRICKLE_MS. */
  | 'trickle'
  /** (e) Drops the connection halfway through an event (after the first content) or the body. */
  | 'close mid-chunk'
  /** (e) Drops a stream's connection halfway through the events before its first content. */
  | 'close before content'
  /** (f) Half of a whole answer's body (its Content-Length says more), then nothing. */
  | 'body stalls half-way'
  /** A 429 whose error body stops half-way: the status says what it is. */
  | 'error then stall'
  /** The seed as it is: the fallback deployment's answer. */
  | 'whole';

/** The gap between two trickled writes: under the idle timeout, so only the length limit stops it. */
export const TRICKLE_MS = 20;

export interface StallCase {
  wire: Wire;
  stall: Stall;
  stream: boolean;
}

/** One exchange the upstream received: its case, path, and whether its socket has closed. */
export interface Exchange {
  caseId: number;
  path: string;
  socket: Socket;
  closed: boolean;
}

/** A valid reply of `wire`: its first answer or stream that succeeds, labelled `text` or `stream`. */
function seedOf(wire: Wire, stream: boolean): ReplySeed {
  const seed = REPLY_SEEDS[wire].find((s) => s.label === (stream ? 'stream' : 'text'));
  if (seed === undefined) throw new Error(`no ${stream ? 'stream' : 'text'} seed for ${wire}`);
  return seed;
}

/** The seed's bytes: the events up to its first content (`head`), the rest, and that content event alone. */
function replyBytes(wire: Wire, stream: boolean): { head: Buffer; rest: Buffer; content: Buffer } {
  const seed = seedOf(wire, stream);
  if (seed.kind === 'json') {
    const body = Buffer.from(JSON.stringify(seed.body));
    return { head: Buffer.alloc(0), rest: body, content: body };
  }
  const events = seed.events.map((e) => encodeEvent(wire, e));
  const first = seed.events.findIndex((e) => JSON.stringify(e.data).includes('Hello'));
  return { head: Buffer.concat(events.slice(0, first + 1)), rest: Buffer.concat(events.slice(first + 1)), content: events[first] as Buffer };
}

/** Plays `c` on `res`; stops writing once the socket has closed. */
function play(c: StallCase, res: ServerResponse): void {
  const { head, rest, content } = replyBytes(c.wire, c.stream);
  const headers = { 'content-type': contentType(c.wire, c.stream) };
  const whole = Buffer.concat([head, rest]);
  const live = (): boolean => !res.socket?.destroyed && !res.destroyed;
  const repeat = (write: () => boolean): void => {
    const timer = setInterval(() => {
      if (!live() || !write()) clearInterval(timer);
    }, TRICKLE_MS);
  };
  switch (c.stall) {
    case 'no headers':
      return;
    case 'headers then stall':
      res.writeHead(200, c.stream ? headers : { ...headers, 'content-length': String(whole.length) });
      res.flushHeaders();
      return;
    case 'stall before content':
      res.writeHead(200, headers);
      res.write(head.subarray(0, head.length - content.length));
      return;
    case 'stall after content':
      res.writeHead(200, headers);
      res.write(head);
      return;
    case 'trickle': {
      if (c.stream) {
        res.writeHead(200, headers);
        res.write(head);
        return repeat(() => res.write(content) || true);
      }
      res.writeHead(200, { ...headers, 'content-length': String(whole.length) });
      let at = 0;
      return repeat(() => {
        res.write(whole.subarray(at, (at += 4)));
        return at < whole.length;
      });
    }
    case 'close mid-chunk': {
      res.writeHead(200, c.stream ? headers : { ...headers, 'content-length': String(whole.length) });
      const cut = c.stream ? Buffer.concat([head, rest.subarray(0, Math.ceil(rest.length / 4))]) : whole.subarray(0, whole.length >> 1);
      res.write(cut, () => res.socket?.destroy());
      return;
    }
    case 'close before content':
      res.writeHead(200, headers);
      res.write(head.subarray(0, head.length - Math.ceil(content.length / 2)), () => res.socket?.destroy());
      return;
    case 'body stalls half-way':
      res.writeHead(200, { ...headers, 'content-length': String(whole.length) });
      res.write(whole.subarray(0, whole.length >> 1));
      return;
    case 'error then stall': {
      const error = Buffer.from(JSON.stringify({ error: { message: 'Rate limit reached.', type: 'rate_limit_error', code: 'rate_limit_exceeded' } }));
      res.writeHead(429, { 'content-type': 'application/json', 'content-length': String(error.length) });
      res.write(error.subarray(0, error.length >> 1));
      return;
    }
    case 'whole':
      res.writeHead(200, { ...headers, 'content-length': String(whole.length) });
      res.end(whole);
  }
}

export interface StallUpstream {
  url: string;
  /** Every exchange received, in order. */
  exchanges: Exchange[];
  /** Registers a case; the client puts `prompt(id)` in its request so the upstream knows which. */
  add(c: StallCase): number;
  close(): Promise<void>;
}

/** The text a request of case `id` carries as its user turn. */
export const prompt = (id: number): string => `case-${id}`;

/**
 * A loopback upstream playing each request's case. A path under `/backup` always gets the whole OpenAI
 * reply: the fallback deployment's upstream.
 */
export async function startStallUpstream(): Promise<StallUpstream> {
  const cases: StallCase[] = [];
  const exchanges: Exchange[] = [];
  /** Each open socket's exchanges, marked closed with it: one listener a socket, however often it is reused. */
  const open = new Map<Socket, Exchange[]>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const id = Number(/case-(\d+)/.exec(body)?.[1] ?? -1);
      const exchange: Exchange = { caseId: id, path: req.url ?? '', socket: req.socket, closed: req.socket.destroyed };
      exchanges.push(exchange);
      open.get(req.socket)?.push(exchange);
      const c = cases[id];
      if (c === undefined) return void res.writeHead(400).end();
      play(req.url?.startsWith('/backup') === true ? { wire: 'openai', stream: c.stream, stall: 'whole' } : c, res);
    });
  });
  server.on('connection', (s: Socket) => {
    open.set(s, []);
    s.once('close', () => {
      for (const e of open.get(s) ?? []) e.closed = true;
      open.delete(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    add: (c) => cases.push(c) - 1,
    close: () =>
      new Promise((resolve) => {
        for (const s of open.keys()) s.destroy();
        server.close(() => resolve());
      }),
  };
}
