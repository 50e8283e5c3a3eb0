import { isIP } from 'node:net';
import { GatewayError } from '../core/errors.js';
import type { HttpRequest } from './exchange.js';

/** What the guard lets through besides same-origin pages and non-browser clients. */
export interface BrowserGuardOptions {
  /** Origins (`https://app.example.com`) whose pages may call the gateway. */
  allowedOrigins: readonly string[];
  /**
   * Set on a gateway without API keys that listens on a network (serve, demo): the host names it
   * answers to besides `localhost` and IP addresses. Undefined: any host (keys guard the gateway, or it
   * is a serverless function that is public anyway).
   */
  openHosts?: readonly string[];
}

/**
 * Refuses what a web page the operator visits could make a browser send (issue: a gateway without
 * keys drained deployments and spent money for any site's text/plain POST):
 * - a request from another origin, told by `Origin` (sent with every cross-origin POST) or, for
 *   methods that change things, `Sec-Fetch-Site`: the gateway serves CORS only to the allowed origins
 *   (`cors.ts`), so no other page calls it cross-origin. A GET without `Origin` (a link followed to the dashboard) is a navigation:
 *   its answer goes to the user, never to the page that linked;
 * - on a keyless gateway, a `Host` that is a DNS name other than localhost: DNS rebinding points an
 *   attacker's name at 127.0.0.1, which makes its page same-origin. Rebinding needs a name, so IP
 *   addresses (kubelet probes, Prometheus by pod IP) always pass.
 */
export function createBrowserGuard(options: BrowserGuardOptions): (request: HttpRequest) => void {
  const origins = new Set(options.allowedOrigins.map(normalOrigin));
  const hosts = options.openHosts && new Set(options.openHosts.map((h) => h.toLowerCase()));
  return (request) => {
    const { origin, host } = request.headers;
    const site = request.headers['sec-fetch-site'];
    const safe = request.method === 'GET' || request.method === 'HEAD';
    const crossOrigin = origin !== undefined ? !origins.has(normalOrigin(origin)) && !sameHost(origin, host) : !safe && (site === 'cross-site' || site === 'same-site');
    if (crossOrigin) {
      throw new GatewayError({
        kind: 'forbidden',
        code: 'cross_origin_request',
        message: 'Requests from other web origins are refused; list the origin in server.allowed_origins to allow its pages.',
      });
    }
    if (hosts && !openHostAllowed(host, hosts)) {
      throw new GatewayError({
        kind: 'forbidden',
        code: 'host_not_allowed',
        message: 'This gateway has no API keys, so it answers only to localhost and IP addresses (a guard against DNS rebinding); add the host name to server.allowed_hosts, or configure api_keys.',
      });
    }
  };
}

/** An origin as browsers send it: lower case, no trailing slash, no default port (`https://x:443` is `https://x`). */
export function normalOrigin(origin: string): string {
  const o = origin.trim().toLowerCase().replace(/\/+$/, '');
  if (o.startsWith('https://') && o.endsWith(':443')) return o.slice(0, -4);
  if (o.startsWith('http://') && o.endsWith(':80')) return o.slice(0, -3);
  return o;
}

/** Whether the page's origin names the host the request was sent to (a same-origin page: the dashboard). */
function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  const scheme = origin.indexOf('://');
  return scheme !== -1 && origin.slice(scheme + 3).toLowerCase() === host.toLowerCase();
}

function openHostAllowed(host: string | undefined, allowed: ReadonlySet<string>): boolean {
  // HTTP/1.0 clients may send no Host: no browser does.
  if (host === undefined) return true;
  // `localhost.` is `localhost`: a fully qualified name ends with the root's dot.
  const name = hostName(host.toLowerCase()).replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || allowed.has(name)) return true;
  return isIP(name.startsWith('[') ? name.slice(1, -1) : name) !== 0;
}

/** The name of a Host header without its port (`[::1]:4000` → `[::1]`). */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
