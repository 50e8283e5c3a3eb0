import { describe, expect, it } from 'vitest';
import { applicationRoot, httpMethod, protocolVersion, serverOfHost } from './http-server.js';

describe('httpMethod', () => {
  it('keeps the methods the conventions know, exactly as written, and makes any other _OTHER', () => {
    expect(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'].map(httpMethod)).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);
    expect(['get', 'PURGE', ''].map(httpMethod)).toEqual(['_OTHER', '_OTHER', '_OTHER']);
  });
});

describe('serverOfHost', () => {
  it('reads the address and the port the host header names', () => {
    expect(serverOfHost('gw.example.com')).toEqual({ address: 'gw.example.com', port: undefined });
    expect(serverOfHost('127.0.0.1:8080')).toEqual({ address: '127.0.0.1', port: 8080 });
    expect(serverOfHost('[2001:db8::1]:443')).toEqual({ address: '2001:db8::1', port: 443 });
  });

  it('reads nothing from a header that is no host, and no port past 65535', () => {
    for (const bad of [undefined, '', 'a:b:c', 'user@host', 'host:', 'host:port', '[::1', 'two words']) expect(serverOfHost(bad)).toBeUndefined();
    expect(serverOfHost('host:70000')).toEqual({ address: 'host', port: undefined });
  });
});

describe('protocolVersion', () => {
  it("writes the version as the conventions do, from Node's form and from API Gateway's", () => {
    expect(['1.0', '1.1', '2.0', 'HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/2', 'HTTP/3'].map(protocolVersion)).toEqual(['1.0', '1.1', '2', '1.0', '1.1', '2', '2', '3']);
  });

  it('leaves the version out when the runtime reported none or no HTTP version', () => {
    for (const unknown of [undefined, '', 'HTTP/', 'http/1.1', '1.2', 'SPDY/3', 'HTTP/1.1 ']) expect(protocolVersion(unknown)).toBeUndefined();
  });
});

describe('applicationRoot', () => {
  it('is the stage or prefix in front of the path the gateway routed on', () => {
    expect(applicationRoot('/prod/v1/chat/completions', '/v1/chat/completions')).toBe('/prod');
    expect(applicationRoot('/api/v1/models', '/v1/models')).toBe('/api');
    expect(applicationRoot('/api/', '/')).toBe('/api');
  });

  it('is empty when the path was routed as sent, or the two do not line up', () => {
    expect(applicationRoot(undefined, '/v1/models')).toBe('');
    expect(applicationRoot('/v1/models', '/v1/models')).toBe('');
    expect(applicationRoot('/apis/v1', '/apis/v1')).toBe('');
    expect(applicationRoot('/prod/v2/models', '/v1/models')).toBe('');
  });
});
