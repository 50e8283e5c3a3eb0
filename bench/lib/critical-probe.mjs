// Loaded into a gateway under test (`node --import`): times its critical path at one connection, where
// every microsecond of it is latency the client sees. From the request event to the first write to the
// upstream ("before"), and from the first bytes of the upstream's answer to the end of the client's
// response ("after"); the time in between is the upstream's and the kernel's. Works the same for any
// Node gateway (node:http in, any client on net sockets out), so the floor proxy gets the same probe.
// Only meaningful with one request in flight. Prints cumulative sums on stderr every 100 ms, as
// `critical-path {"n":…,"before_ms":…,"after_ms":…}`; the runner (bench/critical.mjs) takes differences.
// With CRITICAL_PROBE_RECORD=1 it also keeps every request's four instants (request event, first write
// to the upstream, the upstream's first bytes, the answer's end; ms from the process's start), which
// `GET /__critical-probe` answers as JSON `{ reqs: [t0, sent, answered, end, ...] }` without the app
// seeing that request: bench/tail.mjs splits the slow requests with them.
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setInterval } from 'node:timers';

let t0 = 0;
let sent = 0;
let answered = 0;
const sums = { n: 0, before_ms: 0, after_ms: 0 };
const reqs = process.env.CRITICAL_PROBE_RECORD === '1' ? [] : undefined;

// Accepted sockets carry their server; the upstream's do not.
const upstream = (socket) => socket.server === undefined || socket.server === null;

const serverEmit = http.Server.prototype.emit;
// `arguments` rather than rest parameters: no array per call on these hot paths, so the probe costs little.
http.Server.prototype.emit = function emit(event, req, res) {
  if (reqs !== undefined && event === 'request' && req.url === '/__critical-probe') {
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
  if (t0 !== 0 && sent !== 0 && answered !== 0) {
    sums.n += 1;
    sums.before_ms += sent - t0;
    const finished = performance.now();
    sums.after_ms += finished - answered;
    reqs?.push(t0, sent, answered, finished);
  }
  t0 = 0;
  return result;
};

let printed = -1;
setInterval(() => {
  if (sums.n === printed) return;
  printed = sums.n;
  process.stderr.write(`critical-path ${JSON.stringify(sums)}\n`);
}, 100).unref();
