/**
 * An upstream's words as a client may read them (`expose_upstream_errors`): the addresses of private
 * networks taken out. A vLLM behind a load balancer, a proxy or a cloud's own front quotes the URL it
 * failed on (`http://10.1.2.3:8080/internal/...`, `https://vllm.svc.cluster.local/...`): shown to a
 * client, that maps the operator's network. Public names stay (a provider's docs link is useful), and the
 * logs keep everything (`logging.upstream_error_text` is the operator's own reading).
 */
export function withoutInternalAddresses(text: string): string {
  return text.replace(URL_AFTER_SCHEME, (match, host: string) => (isInternalHost(host) ? `://${INTERNAL}` : match)).replace(DOTTED_NAME, (match) => (isInternalHost(match) ? INTERNAL : match));
}

const INTERNAL = '[internal address]';

/*
 * Both patterns run in time linear in the text: the URL one from `://` (a scheme adds nothing, and a run
 * of letters would start it at every one), the name one only where a run of name characters begins, and
 * with no repeated group (V8 moves a pattern that stacked 100,000 group iterations to its ~10x slower engine).
 */
/** `://`, optional user info, the host (a bracketed IPv6 address or a name), then the rest of the URL. */
const URL_AFTER_SCHEME = /:\/\/(?:[^\s/?#@"'<>]*@)?(\[[0-9A-Fa-f:.]+\]|[^\s/?#:"'<>[\]]+)[^\s"'<>]*/g;
/** A dotted name or IPv4 address standing alone: `10.0.0.12`, `ip-10-0-0-1.ec2.internal`. */
const DOTTED_NAME = /(?<![A-Za-z0-9.-])[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z0-9-]/g;

/** Suffixes of names only a private network resolves (RFC 6762's .local, RFC 8375's home.arpa, clouds' and clusters' own). */
const INTERNAL_SUFFIXES = ['.internal', '.local', '.localdomain', '.lan', '.corp', '.intranet', '.private', '.home.arpa', '.svc', '.localhost'];

/** A host of a private network: a private, loopback or link-local address, a name under a private suffix, or one label alone (a container's or a Kubernetes service's name). */
export function isInternalHost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name.startsWith('[')) return isInternalIPv6(name.slice(1, -1));
  const v4 = IPV4.exec(name);
  if (v4) return isInternalIPv4(v4.slice(1).map(Number));
  if (name === 'localhost' || !name.includes('.')) return true;
  return INTERNAL_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** RFC 1918, loopback, link-local, carrier-grade NAT (RFC 6598) and "this network". */
function isInternalIPv4([a = 0, b = 0]: number[]): boolean {
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

/** Loopback, unique local (fc00::/7), link-local (fe80::/10), and IPv4-mapped private addresses. */
function isInternalIPv6(address: string): boolean {
  if (address === '::1' || /^f[cd]/.test(address) || /^fe[89ab]/.test(address)) return true;
  const mapped = /^::ffff:(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  return mapped !== null && isInternalIPv4(mapped.slice(1).map(Number));
}
