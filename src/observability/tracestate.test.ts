import { describe, expect, it } from 'vitest';
import { parseTracestate } from './tracestate.js';

/** `count` members `k1=v1,k2=v2...`. */
const members = (count: number, from = 1): string[] => Array.from({ length: count }, (_, n) => `k${n + from}=v${n + from}`);

describe('tracestate', () => {
  it('passes a valid header on as it came', () => {
    expect(parseTracestate('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  });

  it('accepts every character the grammar allows in keys and values, and multi-tenant keys', () => {
    const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/@';
    let value = '';
    for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) value += String.fromCharCode(c);
    expect(parseTracestate(`${key}=${value}`)).toBe(`${key}=${value}`);
    expect(parseTracestate('1tenant@vendor=x,foo@@bar=1')).toBe('1tenant@vendor=x,foo@@bar=1');
  });

  it('drops optional whitespace and blank members but keeps a value\'s leading spaces', () => {
    expect(parseTracestate(' \tfoo=1 \t , \t bar=2,,\t ,baz=3\t ')).toBe('foo=1,bar=2,baz=3');
    expect(parseTracestate('foo=  1')).toBe('foo=  1');
  });

  it('combines repeated header fields in order, blank ones included', () => {
    expect(parseTracestate(['foo=1,bar=2', '', 'rojo=1'])).toBe('foo=1,bar=2,rojo=1');
  });

  it('forwards nothing for an absent, empty or blank header', () => {
    expect(parseTracestate(undefined)).toBeUndefined();
    expect(parseTracestate('')).toBeUndefined();
    expect(parseTracestate(' , \t,')).toBeUndefined();
    expect(parseTracestate([])).toBeUndefined();
  });

  it('drops the whole header when one member breaks the grammar', () => {
    for (const bad of [
      'foo =1,bar=2', // whitespace inside a member
      'FOO=1,bar=2', // upper case key
      'foo.bar=1,bar=2', // `.` is not a key character
      '@foo=1,bar=2', // a key starts with a letter or digit
      'foo=bar=baz', // `=` in a value
      'foo=,bar=3', // empty value
      'foo,bar=3', // no `=`
      'foo=caf\u00e9,bar=3', // a value is printable ASCII
      'foo=1\n,bar=3', // control characters are not whitespace
    ]) {
      expect(parseTracestate(bad), bad).toBeUndefined();
    }
  });

  it('keeps 32 members and drops a header with 33', () => {
    expect(parseTracestate(members(32).join(','))?.split(',')).toHaveLength(32);
    expect(parseTracestate([members(30).join(','), members(3, 31).join(',')])).toBeUndefined();
  });

  it('drops the header when a key or value is longer than 256 characters', () => {
    expect(parseTracestate(`foo=1,${'z'.repeat(256)}=1`)).toBe(`foo=1,${'z'.repeat(256)}=1`);
    expect(parseTracestate(`foo=1,${'z'.repeat(257)}=1`)).toBeUndefined();
    expect(parseTracestate(`foo=${'v'.repeat(256)}`)).toBe(`foo=${'v'.repeat(256)}`);
    expect(parseTracestate(`foo=${'v'.repeat(257)},bar=1`)).toBeUndefined();
  });

  it('shortens a header over 512 characters by whole members: those over 128 characters first, then from the right', () => {
    // Members of 31 characters: 16 of them and their commas are 511, 17 are 543.
    const short = Array.from({ length: 24 }, (_, n) => `key${String(n).padStart(2, '0')}=${'v'.repeat(25)}`);
    const sixteen = short.slice(0, 16);
    const long = `big=${'x'.repeat(200)}`;
    expect(parseTracestate([...sixteen.slice(0, 8), long, ...sixteen.slice(8)].join(','))).toBe(sixteen.join(','));
    expect(parseTracestate(short.join(','))).toBe(sixteen.join(','));
    expect(parseTracestate([long, ...short.slice(0, 15)].join(','))).toBe(short.slice(0, 15).join(','));
    expect(parseTracestate(`only=${'v'.repeat(256)},${'k'.repeat(250)}=v`)).toBe(`only=${'v'.repeat(256)}`);
  });

  it('drops a header too long to be one any tracer writes without reading it', () => {
    expect(parseTracestate(`foo=1${','.repeat(20_000)}`)).toBeUndefined();
  });
});
