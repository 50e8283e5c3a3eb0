import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { NO_FIELDS, checkRequestFields, copyPassthrough, grantsRequestFields, unmappedFields } from './fields.js';

/** A door's mapped fields, for these tests. */
const CHAT_FIELDS: ReadonlySet<string> = new Set(['model', 'messages', 'temperature']);

const grant = (...passthrough: string[]) => ({ config: { passthrough } });
const body = (extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [], temperature: 0.2, ...extra });

function refusal(fn: () => void): GatewayError {
  try {
    fn();
  } catch (err) {
    if (GatewayError.isInstance(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('request fields', () => {
  it('accepts a body of mapped fields whatever the deployments grant', () => {
    expect(() => checkRequestFields(body(), CHAT_FIELDS, [grant(), grant()])).not.toThrow();
  });

  it('refuses an unknown field with invalid_request naming it', () => {
    const err = refusal(() => checkRequestFields(body({ data_sources: [] }), CHAT_FIELDS, [grant()]));
    expect(err.kind).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.param).toBe('data_sources');
    expect(err.message).toBe('Unrecognized request argument supplied: data_sources.');
  });

  it('lets a field through only when every planned deployment lists it', () => {
    expect(() => checkRequestFields(body({ service_tier: 'flex' }), CHAT_FIELDS, [grant('service_tier'), grant('service_tier', 'store')])).not.toThrow();
    const err = refusal(() => checkRequestFields(body({ service_tier: 'flex' }), CHAT_FIELDS, [grant('service_tier'), grant()]));
    expect(err.param).toBe('service_tier');
    expect(err.message).toContain('every deployment');
  });

  it('ignores an unknown field whose value is null: it asks for nothing', () => {
    expect(() => checkRequestFields(body({ logprobs: null }), CHAT_FIELDS, [grant()])).not.toThrow();
  });

  it('bounds the echoed name of a huge unknown key', () => {
    const err = refusal(() => checkRequestFields(body({ ['k'.repeat(10_000)]: 1 }), CHAT_FIELDS, [grant()]));
    expect(err.param?.length).toBeLessThan(80);
  });

  it('tells whether one deployment carries every unmapped field', () => {
    expect(grantsRequestFields(body({ store: true }), CHAT_FIELDS, grant('store'))).toBe(true);
    expect(grantsRequestFields(body({ store: true }), CHAT_FIELDS, grant())).toBe(false);
    expect(grantsRequestFields(body(), CHAT_FIELDS, grant())).toBe(true);
  });

  it('copies only the listed fields that the client set', () => {
    const target: Record<string, unknown> = { model: 'm' };
    copyPassthrough(body({ service_tier: 'flex', store: true }), ['service_tier', 'metadata'], target);
    expect(target).toEqual({ model: 'm', service_tier: 'flex' });
  });

  it('checks a passthrough object (only unmapped fields) against no mapped fields', () => {
    expect(() => checkRequestFields({ store: true }, NO_FIELDS, [grant('store')])).not.toThrow();
    expect(refusal(() => checkRequestFields({ store: true }, NO_FIELDS, [grant()])).param).toBe('store');
  });
});

describe('unmapped fields', () => {
  it("collects a body's fields a door does not map, leaving out nulls", () => {
    expect(unmappedFields(body({ service_tier: 'flex', logprobs: null, metadata: { a: 'b' } }), CHAT_FIELDS)).toEqual({ service_tier: 'flex', metadata: { a: 'b' } });
  });

  it('gives undefined when every field is mapped', () => {
    expect(unmappedFields(body(), CHAT_FIELDS)).toBeUndefined();
  });

  it("keeps a client's __proto__ key as a plain field that the check then refuses", () => {
    const fields = unmappedFields(JSON.parse('{"model":"m","__proto__":{"polluted":true}}') as Record<string, unknown>, CHAT_FIELDS);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect((fields as Record<string, unknown>).polluted).toBeUndefined();
    expect(refusal(() => checkRequestFields(fields as object, NO_FIELDS, [grant()])).param).toBe('__proto__');
  });
});

describe('a field of the client API that its door does not map', () => {
  it('is refused as unsupported by the gateway (unsupported_parameter), an unknown one as unrecognized', () => {
    const api = new Set(['logprobs']);
    const err = refusal(() => checkRequestFields({ logprobs: true }, NO_FIELDS, [{ config: { passthrough: [] } }], api));
    expect([err.message, err.param, err.code]).toEqual(["Unsupported parameter: 'logprobs' is not supported by this gateway.", 'logprobs', 'unsupported_parameter']);
    expect(refusal(() => checkRequestFields({ frobnicate: 1 }, NO_FIELDS, [{ config: { passthrough: [] } }], api)).message).toBe('Unrecognized request argument supplied: frobnicate.');
    expect(() => checkRequestFields({ logprobs: true }, NO_FIELDS, [{ config: { passthrough: ['logprobs'] } }], api)).not.toThrow();
  });
});

