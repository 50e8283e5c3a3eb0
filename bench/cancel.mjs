// CPU per operation of Node's AbortController against our Canceller (issue #18), in-process.
// "listen" is what most requests do: create, add a listener, remove it when the call settles.
// "abort" is a cancelled call: create, add a listener, abort with a reason.
// "request" is one request's whole pattern: a request signal (node adapter), an attempt signal
// (executor) forwarding the request's abort, a provider listener on the attempt (requestBuffered).
// Usage: npm run build && node bench/cancel.mjs [--ops N]
/* global AbortController */
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import console from 'node:console';

const { values } = parseArgs({ options: { ops: { type: 'string', default: '1000000' } } });
const n = Number(values.ops);
const { Canceller } = await import(new URL('../dist/core/cancel.js', import.meta.url).href);

const kinds = {
  AbortController: () => {
    const c = new AbortController();
    return { c, s: c.signal };
  },
  Canceller: () => {
    const c = new Canceller();
    return { c, s: c };
  },
};

const noop = () => undefined;
const patterns = {
  listen: (make) => () => {
    const { s } = make();
    const f = () => undefined;
    s.addEventListener('abort', f, { once: true });
    s.removeEventListener('abort', f);
  },
  abort: (make) => () => {
    const { c, s } = make();
    s.addEventListener('abort', noop, { once: true });
    c.abort('gone');
  },
  request: (make) => () => {
    const req = make();
    const att = make();
    const forward = () => att.c.abort(req.s.reason);
    req.s.addEventListener('abort', forward, { once: true });
    const onAbort = () => undefined;
    att.s.addEventListener('abort', onAbort, { once: true });
    att.s.removeEventListener('abort', onAbort);
    req.s.removeEventListener('abort', forward);
  },
};

function usPerOp(op) {
  for (let i = 0; i < 50_000; i++) op();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op();
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
}

for (const [pattern, build] of Object.entries(patterns)) {
  const row = Object.entries(kinds).map(([kind, make]) => `${kind} ${usPerOp(build(make)).toFixed(3)} µs`);
  console.log(`${pattern.padEnd(8)} ${row.join('   ')}`);
}
