// Loaded into a gateway under test (`node --import`), the floor too: records every request's four
// instants (request event, first write to the upstream, the upstream's first bytes, the end of the
// answer), as bench/lib/critical-probe.mjs times them but one by one instead of summed, so a slow
// request can be split into the gateway's time, the upstream's and the client's. Meaningful with one
// request in flight. `GET /__tail-probe` answers them (the app never sees that request) as JSON:
// { reqs: [t0, sent, answered, end, ...] }, ms from the process's start; bench/tail.mjs reads it.
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

let t0 = 0;
let sent = 0;
let answered = 0;
const reqs = [];
// Accepted sockets carry their server; the upstream's do not.
const upstream = (socket) => socket.server === undefined || socket.server === null;

const serverEmit = http.Server.prototype.emit;
http.Server.prototype.emit = function emit(event, req, res) {
  if (event === 'request' && req.url === '/__tail-probe') {
    res.end(JSON.stringify({ reqs }));
    return true;
  }
  if (event === 'request') {
    t0 = performance.now();
    sent = 0;
    answered = 0;
  }
  return Reflect.apply(serverEmit, this, arguments);
};
const socketWrite = net.Socket.prototype.write;
net.Socket.prototype.write = function write() {
  if (t0 !== 0 && sent === 0 && upstream(this)) sent = performance.now();
  return Reflect.apply(socketWrite, this, arguments);
};
const socketEmit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function emit(event) {
  if (sent !== 0 && answered === 0 && (event === 'data' || event === 'readable') && upstream(this)) answered = performance.now();
  return Reflect.apply(socketEmit, this, arguments);
};
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function endTimed() {
  const result = Reflect.apply(end, this, arguments);
  if (t0 !== 0 && sent !== 0 && answered !== 0) reqs.push(t0, sent, answered, performance.now());
  t0 = 0;
  return result;
};
