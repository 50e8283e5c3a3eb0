import * as z from './zod.js';

/**
 * What a URL field may carry after its path: `none` for a base the gateway appends paths to (a query
 * would swallow them); `plain` for a URL used as written, whose credentials have a field of their own;
 * `any` for a webhook, where a token in the path or query is how many receivers authenticate.
 */
export type UrlQuery = 'none' | 'plain' | 'any';

export interface HttpUrlOptions {
  /** The message for what is no http(s) URL; it must not quote the value (a webhook's is its credential). */
  invalid: string;
  /** Where credentials go instead of the URL, e.g. `give them as api_key or headers: { authorization: ... }`. */
  fix: string;
  query: UrlQuery;
  /** https only (a token endpoint). */
  httpsOnly?: boolean;
}

/** Query parameter names that carry credentials: `api_key`, `apiKey`, `key` (Google), `sig` (Azure SAS), `code` (Azure Functions), `access_token`... */
const CREDENTIAL_PARAM = /(key|secret|token|password|passwd|pwd|sig|signature|code|auth|authorization|credentials?)$/i;

/** A scheme, `//` and a host's first character: what a URL naming its host starts with. */
const WRITTEN_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\\?#@\s]/;

/** An http(s) URL's written port: what the parser refuses past 65535 with no word of why. */
const WRITTEN_PORT = /^https?:\/\/(?:[^/?#@\s]*@)?(?:\[[^\]/?#]*\]|[^/?#:@\s]*):(\d+)(?=[/?#]|$)/i;

const PORT_RANGE = (port: string): string => `its port ${port} is out of range: a port is 1-65535`;

const NO_HOST = 'must name a host after the scheme\'s // (https://host[:port]/path)';

/**
 * What the URL check says of a value it refused: the one thing wrong with an http(s) URL when that is
 * its port or a host not written after `//`, else the field's own message.
 */
function refusedUrl(input: unknown, o: HttpUrlOptions): string {
  if (typeof input !== 'string' || !(o.httpsOnly ? /^https:/i : /^https?:/i).test(input)) return o.invalid;
  const port = WRITTEN_PORT.exec(input)?.[1];
  if (port !== undefined && Number(port) > 65_535) return PORT_RANGE(port);
  return WRITTEN_AUTHORITY.test(input) ? o.invalid : NO_HOST;
}

/**
 * An http(s) URL without `user:password@`: neither transport sends it (fetch refuses the URL and quotes
 * it whole in the error that gets logged), and a URL is shown and logged where a secret field is not.
 * No message quotes the URL.
 */
export function httpUrl(o: HttpUrlOptions): z.ZodURL {
  return z.url({ protocol: o.httpsOnly ? /^https$/ : /^https?$/, error: (issue) => refusedUrl(issue.input, o) }).superRefine((text, ctx) => {
    // One problem a field: what the URL check refused is said already (`localhost:4318` is no http URL,
    // and naming its missing host too read as two mistakes).
    if (ctx.issues.length > 0 || !URL.canParse(text)) return;
    // The WHATWG parser reads `https:///v1` (or `https:v1`) as the host `v1`: a host is written after `//`.
    if (!WRITTEN_AUTHORITY.test(text)) {
      ctx.addIssue({ code: 'custom', message: NO_HOST });
      return;
    }
    const url = new URL(text);
    // The parser takes port 0, which nothing listens on.
    if (url.port === '0') {
      ctx.addIssue({ code: 'custom', message: PORT_RANGE('0') });
      return;
    }
    if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', message: `must not hold credentials (user:password@), which are never sent: ${o.fix}` });
    if (o.query === 'none' && (url.search !== '' || url.hash !== '')) {
      ctx.addIssue({ code: 'custom', message: 'must not have a query or fragment (?... #...): the gateway appends its paths to this URL' });
    }
    if (o.query === 'plain') {
      // Only `name=value` pairs: a bare `?<token>` would be a value, and the message names what it finds.
      const names = [...new Set([...url.searchParams].filter(([name, value]) => value !== '' && CREDENTIAL_PARAM.test(name)).map(([name]) => name))];
      if (names.length > 0) ctx.addIssue({ code: 'custom', message: `must not carry a credential in its query (${names.join(', ')}), which would show wherever the URL is logged: ${o.fix}` });
    }
  });
}
