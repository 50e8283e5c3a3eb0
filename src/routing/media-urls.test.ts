import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../core/types.js';
import { isPublicMediaUrl, mediaUrlsOf, refusedMediaUrl } from './media-urls.js';

describe('media URLs an upstream may fetch under media_urls: public', () => {
  it.each([
    ['https://images.example.com/cat.png', 'a public name'],
    ['http://upload.wikimedia.org/a.jpg', 'plain http to a public name'],
    ['https://8.8.8.8/a.png', 'a public IPv4 address'],
    ['https://[2606:4700:4700::1111]/a.png', 'a public IPv6 address'],
    ['https://[::ffff:8.8.8.8]/a.png', 'a public IPv4 address mapped into IPv6'],
    ['https://169.255.0.1/a.png', 'the address just past link-local'],
    ['https://172.32.0.1/a.png', 'the address just past 172.16/12'],
    ['https://100.128.0.1/a.png', 'the address just past carrier-grade NAT'],
    ['https://localhost.example.com/a.png', 'a name that only starts with localhost'],
    ['https://notlocalhost/a.png', 'a name that only ends with localhost'],
  ])('allows %s (%s)', (url) => {
    expect(isPublicMediaUrl(url)).toBe(true);
  });

  it.each([
    ['http://127.0.0.1/a.png', 'loopback'],
    ['http://127.255.255.254/a.png', 'loopback, end of the range'],
    ['http://10.1.2.3/a.png', 'private 10/8'],
    ['http://172.16.0.1/a.png', 'private 172.16/12'],
    ['http://172.31.255.255/a.png', 'private 172.16/12, end of the range'],
    ['http://192.168.1.1/a.png', 'private 192.168/16'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local: the cloud metadata service'],
    ['http://100.64.0.1/a.png', 'carrier-grade NAT'],
    ['http://0.0.0.0/a.png', 'unspecified'],
    ['http://0/a.png', 'unspecified, one number'],
    ['http://224.0.0.1/a.png', 'multicast'],
    ['http://255.255.255.255/a.png', 'broadcast'],
    ['http://192.0.2.10/a.png', 'documentation'],
    ['http://198.18.0.1/a.png', 'benchmarking'],
    ['http://2852039166/', 'link-local written as one decimal number'],
    ['http://0xa9fea9fe/', 'link-local written as one hex number'],
    ['http://0x7f.1/', 'loopback in hex, two parts'],
    ['http://0177.0.0.1/', 'loopback in octal'],
    ['http://127.1/', 'loopback, short form'],
    ['http://127.0.0.1./a.png', 'loopback with a trailing dot'],
    ['http://%31%32%37.0.0.1/', 'loopback percent-encoded'],
    ['http://[::1]/a.png', 'IPv6 loopback'],
    ['http://[::]/a.png', 'IPv6 unspecified'],
    ['http://[::ffff:127.0.0.1]/a.png', 'IPv4-mapped loopback'],
    ['http://[::ffff:a9fe:a9fe]/a.png', 'IPv4-mapped link-local, in hex'],
    ['http://[0:0:0:0:0:ffff:10.0.0.1]/a.png', 'IPv4-mapped private, written out'],
    ['http://[::127.0.0.1]/a.png', 'IPv4-compatible loopback'],
    ['http://[64:ff9b::a9fe:a9fe]/a.png', 'NAT64 of link-local'],
    ['http://[2002:7f00:1::]/a.png', '6to4 of loopback'],
    ['http://[fd00:ec2::254]/latest/meta-data/', "unique local: AWS's IPv6 metadata service"],
    ['http://[fc00::1]/a.png', 'unique local'],
    ['http://[fe80::1]/a.png', 'IPv6 link-local'],
    ['http://[fec0::1]/a.png', 'IPv6 site-local'],
    ['http://[ff02::1]/a.png', 'IPv6 multicast'],
    ['http://localhost/a.png', 'localhost'],
    ['http://LOCALHOST:8000/a.png', 'localhost in capitals, with a port'],
    ['http://localhost./a.png', 'localhost with a trailing dot'],
    ['http://metadata.localhost/a.png', 'a name under localhost'],
    ['ftp://images.example.com/a.png', 'not http(s)'],
    ['file:///etc/passwd', 'a local file'],
    ['gs://bucket/a.png', 'a bucket'],
    ['not a url', 'not a URL'],
    ['http://user:pass@images.example.com/a.png', 'credentials in the URL'],
    ['http://1.1.1.1\\@127.0.0.1/a.png', 'a backslash, which parsers split differently'],
    ['http://1.1.1.1\t@127.0.0.1/a.png', 'a tab, which the URL standard drops and others keep'],
  ])('refuses %s (%s)', (url) => {
    expect(isPublicMediaUrl(url)).toBe(false);
  });
});

const image = (url: string) => ({ type: 'image' as const, source: { type: 'url' as const, url } });
const request = (messages: ChatRequest['messages']): ChatRequest => ({ model: 'm', messages });

describe('the media a request gives by URL', () => {
  it('names the first URL part and the first whose host is not public, by canonical place', () => {
    const urls = mediaUrlsOf(
      request([
        { role: 'system', content: [{ type: 'text', text: 'be brief' }] },
        { role: 'user', content: [{ type: 'text', text: 'compare' }, image('https://images.example.com/a.png'), image('http://169.254.169.254/')] },
        { role: 'tool', toolCallId: 't', content: [image('http://10.0.0.1/b.png')] },
      ]),
    );
    expect(urls).toEqual({ first: 'messages[1].content[1]', notPublic: 'messages[1].content[2]' });
  });

  it('finds URL images in tool results and URL files', () => {
    expect(mediaUrlsOf(request([{ role: 'tool', toolCallId: 't', content: [image('http://localhost/x.png')] }]))).toEqual({ first: 'messages[0].content[0]', notPublic: 'messages[0].content[0]' });
    const file = { type: 'file' as const, source: { type: 'url' as const, url: 'https://docs.example.com/a.pdf', mediaType: 'application/pdf' } };
    expect(mediaUrlsOf(request([{ role: 'user', content: [file] }]))).toEqual({ first: 'messages[0].content[0]', notPublic: undefined });
  });

  it('gives nothing for inline bytes, data: URLs and text', () => {
    const inline = { type: 'image' as const, source: { type: 'base64' as const, mediaType: 'image/png', data: 'iVBORw0KGgo=' } };
    expect(mediaUrlsOf(request([{ role: 'user', content: [{ type: 'text', text: 'hi' }, inline, image('data:image/png;base64,iVBORw0KGgo=')] }]))).toBeUndefined();
  });

  it('is refused by a deployment by its policy: any takes all, public the public ones, none no URL', () => {
    const mixed = { first: 'messages[0].content[0]', notPublic: 'messages[0].content[1]' };
    const allPublic = { first: 'messages[0].content[0]', notPublic: undefined };
    expect(refusedMediaUrl('any', mixed)).toBeUndefined();
    expect(refusedMediaUrl('public', mixed)).toBe('messages[0].content[1]');
    expect(refusedMediaUrl('public', allPublic)).toBeUndefined();
    expect(refusedMediaUrl('none', allPublic)).toBe('messages[0].content[0]');
    // A deployment config built by hand, without the resolved field, gets the secure default.
    expect(refusedMediaUrl(undefined, mixed)).toBe('messages[0].content[1]');
  });
});
