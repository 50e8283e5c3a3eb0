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

  it('gives a {name+} the rest of the path, each segment decoded and joined by /, as sent or as a platform decoded it', () => {
    const t = table();
    t.add(r('GET', '/v1/models/{model+}'), ingress);
    const found = t.find('GET', '/v1/models/meta-llama%2FLlama-3.1-8B');
    expect(found).toMatchObject({ entry: { route: { path: '/v1/models/{model+}' } }, params: { model: 'meta-llama/Llama-3.1-8B' } });
    expect(t.find('GET', '/v1/models/meta-llama/Llama-3.1-8B').params).toEqual({ model: 'meta-llama/Llama-3.1-8B' });
    expect(t.find('GET', '/v1/models/gpt-4o').params).toEqual({ model: 'gpt-4o' });
    expect(t.find('GET', '/v1/models/a/b%20c/d').params).toEqual({ model: 'a/b c/d' });
    expect(t.find('GET', '/v1/models').knownPath).toBe(false);
    expect(t.find('GET', '/v1/models/').knownPath).toBe(false);
  });

  it('takes the parameters of a path the platform decoded as they are, never decoding a % twice', () => {
    const t = table();
    t.add(r('GET', '/v1/models/{model+}'), ingress);
    // API Gateway's HTTP API hands `org%2F50%2525off` over as `org/50%off` (decoded twice).
    expect(t.find('GET', '/v1/models/org/50%off', true).params).toEqual({ model: 'org/50%off' });
    expect(t.find('GET', '/v1/models/org/x%41', true).params).toEqual({ model: 'org/x%41' });
    expect(t.find('POST', '/v1/switchyard/deployments/gpu%3Aa/drain', true).params).toEqual({ id: 'gpu%3Aa' });
    expect(t.find('GET', '/v1/models/org/x%41').params).toEqual({ model: 'org/xA' });
  });

  it('never lets an empty, . or .. part into a parameter, however it was written: no route takes the path', () => {
    const t = table();
    t.add(r('GET', '/v1/models/{model+}'), ingress);
    const paths = [
      '/v1/models/meta-llama/../switchyard/keys',
      '/v1/models/meta-llama%2F..%2F..%2Fswitchyard%2Fkeys',
      '/v1/models/%2E%2E',
      '/v1/models/a/./b',
      '/v1/models/a//b',
      '/v1/models/a%2F%2Fb',
      '/v1/models/a/',
      '/v1/switchyard/keys/../revoke',
      '/v1/switchyard/keys/%2e%2E/revoke',
      '/v1/switchyard/keys/a%2F..%2Fb/revoke',
      '/v1/switchyard/deployments/%2E/drain',
    ];
    for (const path of paths) expect([path, t.find('POST', path).knownPath, t.find('GET', path).knownPath]).toEqual([path, false, false]);
    // As a platform hands them over decoded (`%2E%2E` there is what the client sent as `%252E%252E`).
    for (const path of ['/v1/models/meta-llama/../switchyard/keys', '/v1/models/..', '/v1/models/a/./b', '/v1/models/a//b', '/v1/switchyard/keys/../revoke']) {
      expect([path, t.find('POST', path, true).knownPath, t.find('GET', path, true).knownPath]).toEqual([path, false, false]);
    }
  });

  it('tries a {name+} only after every fixed pattern, in whatever order the routes were added', () => {
    const t = new RouteTable();
    t.add(r('GET', '/v1/responses/{id+}'), ingress);
    t.add(r('GET', '/v1/responses/{id}/input_items'), ingress);
    t.add(r('GET', '/v1/responses/{id}'), ingress);
    expect(t.find('GET', '/v1/responses/resp_1/input_items')).toMatchObject({ entry: { route: { path: '/v1/responses/{id}/input_items' } }, params: { id: 'resp_1' } });
    expect(t.find('GET', '/v1/responses/resp_1')).toMatchObject({ entry: { route: { path: '/v1/responses/{id}' } }, params: { id: 'resp_1' } });
    expect(t.find('GET', '/v1/responses/a/b/c')).toMatchObject({ entry: { route: { path: '/v1/responses/{id+}' } }, params: { id: 'a/b/c' } });
  });

  it('refuses a route whose {name+} is not its last segment', () => {
    expect(() => new RouteTable().add(r('GET', '/v1/models/{model+}/x'), ingress)).toThrow('only the last segment may be a {name+}');
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
