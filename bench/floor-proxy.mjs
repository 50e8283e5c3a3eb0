// The floor: the least a Node proxy can do (node:http in, undici out, bytes passed through untouched).
// Any gateway written in Node pays at least this much per request.
// Usage: node bench/floor-proxy.mjs --port N --upstream http://127.0.0.1:M [--workers N]
// --workers N: N node:cluster workers share the port, as `switchyard serve --workers N` runs them: the
// most a second process can buy on this machine, measured beside Switchyard's workers.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import process from 'node:process';
import { Buffer } from 'node:buffer';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' }, workers: { type: 'string', default: '1' } } });
if (!values.upstream) throw new Error('floor-proxy: --upstream is required');

function proxy(pool) {
  return (req, res) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      pool
        .request({
          method: req.method,
          path: req.url,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body: parts.length === 1 ? parts[0] : Buffer.concat(parts),
        })
        .then(({ statusCode, headers, body }) => {
          const out = { 'content-type': headers['content-type'] ?? 'application/json' };
          if (headers['content-length'] !== undefined) out['content-length'] = headers['content-length'];
          res.writeHead(statusCode, out);
          body.on('data', (c) => res.write(c));
          body.on('end', () => res.end());
          body.on('error', () => res.destroy());
        })
        .catch(() => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"error":{"message":"upstream failed","type":"server_error"}}');
        });
    });
  };
}

const workers = Number(values.workers);
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const pool = new Pool(values.upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });
  const server = createServer({ keepAliveTimeout: 120_000 }, proxy(pool));
  server.listen(Number(values.port), '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
