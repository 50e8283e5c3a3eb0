/** Addresses that only this host can reach. */
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i;

/** What `openServerProblem` reads of a config. */
export interface OpenServerFacts {
  host: string;
  allowUnauthenticated: boolean;
  apiKeys: number;
  virtualKeys: boolean;
}

/**
 * Why a gateway must not listen at `host` as configured, or undefined: with no API keys of either kind
 * every caller is the one anonymous admin (model calls on the operator's credentials, drains, reloads,
 * the config), which is meant for this host only (local use, the demo). Beyond loopback it takes keys, or
 * `server.allow_unauthenticated: true` where something in front authenticates every caller.
 */
export function openServerProblem(f: OpenServerFacts): string | undefined {
  const host = f.host.trim();
  // An empty host is refused on its own (it would listen on every interface).
  if (host === '' || f.apiKeys > 0 || f.virtualKeys || f.allowUnauthenticated || LOOPBACK.test(host)) return undefined;
  return (
    `listens beyond this host (${f.host}) with no api_keys and no virtual keys: every caller would be an admin ` +
    '(model calls on your credentials, drains, reloads, the config). Add api_keys, listen on 127.0.0.1, or set ' +
    'server.allow_unauthenticated: true if something in front authenticates every caller'
  );
}
