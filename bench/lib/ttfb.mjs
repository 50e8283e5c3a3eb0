// Streaming time-to-first-byte, which wrk cannot see: sequential requests on one keep-alive socket,
// timed from sending the request to the first body byte (the first SSE frame) and to the end.
import { Agent, request } from 'node:http';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { URL } from 'node:url';

function once(agent, target, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(target.url);
    const t0 = process.hrtime.bigint();
    let first = 0n;
    let text = '';
    const req = request(
      { agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...target.headers } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (c) => {
          if (first === 0n) first = process.hrtime.bigint();
          text += c;
        });
        res.on('end', () => {
          if (res.statusCode !== 200 || !text.includes('[DONE]')) return reject(new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`));
          resolve({ ttfb: Number(first - t0) / 1e3, total: Number(process.hrtime.bigint() - t0) / 1e3 });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Measures every target in interleaved blocks so that machine noise hits all of them alike. */
export async function measureTtfb(targets, body, { requests, block = 50, warmup = 50 }) {
  const agents = new Map(targets.map((t) => [t.name, new Agent({ keepAlive: true, maxSockets: 1 })]));
  const samples = new Map(targets.map((t) => [t.name, { ttfb: [], total: [] }]));
  for (const t of targets) for (let i = 0; i < warmup; i++) await once(agents.get(t.name), t, body);
  for (let done = 0; done < requests; done += block) {
    for (const t of targets) {
      const s = samples.get(t.name);
      for (let i = 0; i < Math.min(block, requests - done); i++) {
        const r = await once(agents.get(t.name), t, body);
        s.ttfb.push(r.ttfb);
        s.total.push(r.total);
      }
    }
  }
  for (const a of agents.values()) a.destroy();
  const out = {};
  for (const [name, s] of samples) {
    s.ttfb.sort((a, b) => a - b);
    s.total.sort((a, b) => a - b);
    out[name] = { n: s.ttfb.length, ttfb_p50_us: pct(s.ttfb, 50), ttfb_p99_us: pct(s.ttfb, 99), total_p50_us: pct(s.total, 50), total_p99_us: pct(s.total, 99) };
  }
  return out;
}
