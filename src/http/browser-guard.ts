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
 * - a request from another origin, told by `Origin` (sent with every cross-origin POST) or
 *   `Sec-Fetch-Site`: the gateway serves no CORS, so no legitimate page calls it cross-origin;
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
    const crossOrigin = origin !== undefined ? !origins.has(normalOrigin(origin)) && !sameHost(origin, host) : site === 'cross-site' || site === 'same-site';
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

function normalOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
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
  const name = hostName(host.toLowerCase());
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
