import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { isDataUrl } from '../core/media.js';
import type { ChatRequest } from '../core/types.js';
import type { MediaUrlPolicy } from './deployment.js';

/** The media a request gives by URL, by the canonical place of its part (`messages[2].content[1]`). */
export interface MediaUrls {
  /** The first part given by URL: what a `none` deployment refuses. */
  first: string;
  /** The first part whose URL is not public: what a `public` deployment refuses; absent when all are. */
  notPublic: string | undefined;
}

/** IPv4 ranges that are not public unicast (RFC 6890 and the IANA special-purpose registry). */
const IPV4_NOT_PUBLIC: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 reaches the local host
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

/** IPv6 ranges that are not public unicast, besides those that embed an IPv4 address (below). */
const IPV6_NOT_PUBLIC: ReadonlyArray<readonly [string, number]> = [
  ['::', 96], // unspecified, loopback, and the deprecated IPv4-compatible addresses
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo
  ['2001:2::', 48], // benchmarking
  ['2001:10::', 28], // ORCHID
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (AWS's IPv6 metadata service is fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

/**
 * IPv6 prefixes that carry an IPv4 address, which reaches that IPv4 host: IPv4-mapped (`::ffff:a.b.c.d`),
 * NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`). Each gets every non-public IPv4 range.
 */
const IPV4_IN_IPV6: ReadonlyArray<{ prefix: (hex: string) => string; bits: number }> = [
  { prefix: (hex) => `::ffff:${hex}`, bits: 96 },
  { prefix: (hex) => `64:ff9b::${hex}`, bits: 96 },
  { prefix: (hex) => `2002:${hex}::`, bits: 16 },
];

/** Built by the first URL checked: a gateway whose clients send none never builds it. */
let notPublic: BlockList | undefined;

function notPublicAddresses(): BlockList {
  const list = new BlockList();
  for (const [net, bits] of IPV4_NOT_PUBLIC) {
    list.addSubnet(net, bits, 'ipv4');
    const octets = net.split('.').map(Number) as [number, number, number, number];
    const hex = `${((octets[0] << 8) | octets[1]).toString(16)}:${((octets[2] << 8) | octets[3]).toString(16)}`;
    for (const embed of IPV4_IN_IPV6) list.addSubnet(embed.prefix(hex), embed.bits + bits, 'ipv6');
  }
  for (const [net, bits] of IPV6_NOT_PUBLIC) list.addSubnet(net, bits, 'ipv6');
  return list;
}

/**
 * Whether the URL has a character on which URL parsers disagree about the host: WHATWG's (this
 * check's) reads `\` as `/` and drops tabs and newlines, RFC 3986 parsers (Python's urllib
 * among them, on the model server's side) do neither, so `http://1.1.1.1\@127.0.0.1/` would be checked as one host and fetched
 * from another. A space or a control character has no place in a URL sent as it is either.
 */
function ambiguous(url: string): boolean {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

/**
 * Whether an upstream may be asked to fetch `url` under `media_urls: public`: an http(s) URL without
 * credentials whose host is neither a non-public IP address (in any form the URL standard reads as
 * one: `http://2852039166/`, `http://0x7f.1/`, `[::ffff:127.0.0.1]`) nor `localhost` / `*.localhost`.
 * Names are not resolved: one resolving to a private address passes (`none` is the strict setting).
 */
export function isPublicMediaUrl(url: string): boolean {
  if (ambiguous(url)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (parsed.username !== '' || parsed.password !== '') return false;
  const host = parsed.hostname;
  if (host.startsWith('[')) {
    const v6 = host.slice(1, -1);
    return isIPv6(v6) && !(notPublic ??= notPublicAddresses()).check(v6, 'ipv6');
  }
  if (isIPv4(host)) return !(notPublic ??= notPublicAddresses()).check(host, 'ipv4');
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name !== 'localhost' && !name.endsWith('.localhost');
}

/**
 * The media a chat request gives by URL (images and files of user and tool messages; `data:` URLs are
 * inline bytes, not fetched), or undefined when it gives none. Called only for requests with media.
 */
export function mediaUrlsOf(req: ChatRequest): MediaUrls | undefined {
  let first: string | undefined;
  let notPublic: string | undefined;
  for (let i = 0; i < req.messages.length; i++) {
    const m = req.messages[i] as ChatRequest['messages'][number];
    if (m.role !== 'user' && m.role !== 'tool') continue;
    for (let j = 0; j < m.content.length; j++) {
      const part = m.content[j] as (typeof m.content)[number];
      if (part.type === 'text' || part.source.type !== 'url' || isDataUrl(part.source.url)) continue;
      first ??= `messages[${i}].content[${j}]`;
      if (notPublic === undefined && !isPublicMediaUrl(part.source.url)) notPublic = `messages[${i}].content[${j}]`;
    }
  }
  return first === undefined ? undefined : { first, notPublic };
}

/** The part a deployment with `policy` refuses to send, or undefined when it may send them all. */
export function refusedMediaUrl(policy: MediaUrlPolicy | undefined, urls: MediaUrls): string | undefined {
  if (policy === 'any') return undefined;
  if (policy === 'none') return urls.first;
  return urls.notPublic;
}
