import { describe, expect, it } from 'vitest';
import { originForm } from './request-target.js';

describe('originForm (RFC 9112 3.2: a server takes the absolute-form as well as the origin-form)', () => {
  it('leaves an origin-form target as it is', () => {
    expect(originForm('/v1/models?limit=1')).toBe('/v1/models?limit=1');
  });

  it('drops the scheme and authority of an absolute-form target, whatever their case, keeping the path and query', () => {
    expect(originForm('http://gateway:4000/healthz')).toBe('/healthz');
    expect(originForm('HTTPS://Gateway/v1/models?limit=1')).toBe('/v1/models?limit=1');
  });

  it('makes an absolute-form target without a path /', () => {
    expect(originForm('http://gateway:4000')).toBe('/');
    expect(originForm('http://gateway:4000?x=1')).toBe('/?x=1');
  });

  it('leaves the asterisk and authority forms for the router to refuse', () => {
    expect(originForm('*')).toBe('*');
    expect(originForm('gateway:4000')).toBe('gateway:4000');
  });
});
