import { describe, expect, it } from 'vitest';
import { GatewayError } from './errors.js';
import { CHAT_FIELDS, checkRequestFields, copyPassthrough, grantsRequestFields } from './fields.js';

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
});
