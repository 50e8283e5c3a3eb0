import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../core/errors.js';
import { jsonResponse } from './respond.js';
import type { Ingress, Route } from './route.js';
import { allowedMethods, NO_PARAMS, RouteTable } from './route-table.js';

const ingress: Ingress = { name: 'test', routes: [], encodeError: (e: GatewayError) => e.message };
const r = (method: Route['method'], path: string): Route => ({ method, path, handle: async () => jsonResponse(200, {}) });

function table(): RouteTable {
  const t = new RouteTable();
  for (const route of [r('POST', '/v1/chat/completions'), r('POST', '/v1/switchyard/deployments/{id}/drain'), r('POST', '/v1/switchyard/keys/{id}/revoke'), r('GET', '/v1/switchyard/keys'), r('POST', '/v1/switchyard/keys')]) t.add(route, ingress);
  return t;
}

describe('the route table', () => {
  it('finds exact paths without parameters, and tells a wrong method (405) from an unknown path (404)', () => {
    const t = table();
    expect(t.find('POST', '/v1/chat/completions')).toMatchObject({ entry: { route: { path: '/v1/chat/completions' } }, knownPath: true });
    expect(t.find('POST', '/v1/chat/completions').params).toBe(NO_PARAMS);
    expect(t.find('GET', '/v1/chat/completions')).toMatchObject({ entry: undefined, knownPath: true });
    expect(t.find('GET', '/v2/nothing')).toMatchObject({ entry: undefined, knownPath: false });
  });

  it('gives HEAD the GET route, and lists a known path\'s methods for the 405\'s Allow header', () => {
    const t = table();
    expect(t.find('HEAD', '/v1/switchyard/keys').entry?.route.method).toBe('GET');
    expect(t.find('HEAD', '/v1/chat/completions').entry).toBeUndefined();
    const known = t.find('DELETE', '/v1/switchyard/keys').methods;
    expect(known && allowedMethods(known)).toBe('GET, POST, HEAD');
    const pattern = t.find('GET', '/v1/switchyard/keys/0123456789ab/revoke').methods;
    expect(pattern && allowedMethods(pattern)).toBe('POST');
    expect(t.find('GET', '/v2/nothing').methods).toBeUndefined();
  });

  it('matches {name} segments, percent-decoded, and only whole non-empty segments', () => {
    const t = table();
    expect(t.find('POST', '/v1/switchyard/deployments/gpu%3Aa/drain')).toMatchObject({ entry: { route: { path: '/v1/switchyard/deployments/{id}/drain' } }, params: { id: 'gpu:a' } });
    expect(t.find('POST', '/v1/switchyard/keys/0123456789ab/revoke').params).toEqual({ id: '0123456789ab' });
    expect(t.find('GET', '/v1/switchyard/keys/0123456789ab/revoke')).toMatchObject({ entry: undefined, knownPath: true });
    expect(t.find('POST', '/v1/switchyard/deployments//drain').knownPath).toBe(false);
    expect(t.find('POST', '/v1/switchyard/deployments/a/b/drain').knownPath).toBe(false);
    expect(t.find('GET', '/v1/switchyard/keys').entry?.route.method).toBe('GET');
  });

  it('refuses a malformed percent-encoding in a parameter as a 400', () => {
    expect(() => table().find('POST', '/v1/switchyard/deployments/%E0%A4%A/drain')).toThrow(expect.objectContaining({ status: 400, code: 'invalid_path' }));
  });

  it('shows a path as a log may write it: the segments some route spells out, every other one a *', () => {
    const t = table();
    expect(t.shownPath('/v1/sk-live-0123456789abcdef/chat/completions')).toBe('/v1/*/chat/completions');
    expect(t.shownPath('/v1/switchyard/keys/sk-live-0123456789abcdef')).toBe('/v1/switchyard/keys/*');
    expect(t.shownPath('//v1/v1/chat/completions/')).toBe('//v1/v1/chat/completions/');
    expect(t.shownPath('/')).toBe('/');
    expect(t.shownPath('*')).toBe('*');
    expect(t.shownPath(`/v1${'/x'.repeat(500)}`)).toBe(`/v1${'/*'.repeat(98)}/…`);
  });
});
