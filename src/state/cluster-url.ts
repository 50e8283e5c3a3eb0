/**
 * What a Redis Cluster URL may not have (the config schema reports it at `state.redis_url`); undefined
 * when fine. Apart from `redis-connection.ts`, so the config loads without ioredis.
 */
export function clusterUrlProblem(url: URL): string | undefined {
  if (url.pathname !== '' && url.pathname !== '/' && url.pathname !== '/0') return 'a Redis Cluster has only database 0; leave the database number out';
  if (url.search !== '') return 'the URL takes no query options (the scheme, user, password, host and port only)';
  return undefined;
}
