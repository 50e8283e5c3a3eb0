/** The scheme and authority of an absolute-form request-target (`http://host:port`, RFC 9112 3.2.2). */
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * The origin-form (`/path?query`) of a request-target as node:http hands it over (the node adapter, and
 * the Cloud Functions adapter on a plain node:http server). A server must accept the absolute-form
 * (`GET http://host:port/healthz`, what a client sends when it takes us for a proxy); its scheme and
 * authority are dropped, so they choose nothing: routes go by path, upstreams come only from the
 * config. Anything else (`*`, `host:port`) is left for the router to refuse.
 */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 0x2f /* / */) return target;
  const authority = ABSOLUTE_FORM.exec(target);
  if (authority === null) return target;
  const rest = target.slice(authority[0].length);
  return rest.charCodeAt(0) === 0x2f ? rest : `/${rest}`;
}
