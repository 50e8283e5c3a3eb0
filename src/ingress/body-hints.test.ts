import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { NO_HINTS, takeBodyHints } from './body-hints.js';

function paramOf(body: unknown): string | undefined {
  try {
    takeBodyHints(body);
  } catch (err) {
    if (GatewayError.isInstance(err) && err.status === 400) return err.param;
    throw err;
  }
  return undefined;
}

describe('body hints', () => {
  it('reads the deployment and task and removes the switchyard field from the body', () => {
    const body: Record<string, unknown> = { model: 'm', switchyard: { deployment: 'secondary', task: 'summarize' } };
    expect(takeBodyHints(body)).toEqual({ deployment: 'secondary', task: 'summarize' });
    expect(body).toEqual({ model: 'm' });
  });

  it('gives no hints for a body without the field, or one that is not an object', () => {
    expect(takeBodyHints({ model: 'm' })).toBe(NO_HINTS);
    expect(takeBodyHints(null)).toBe(NO_HINTS);
    expect(takeBodyHints('text')).toBe(NO_HINTS);
  });

  it('refuses a switchyard field of the wrong shape, naming the parameter, and still removes it', () => {
    const body: Record<string, unknown> = { switchyard: 'secondary' };
    expect(paramOf(body)).toBe('switchyard');
    expect(body).not.toHaveProperty('switchyard');
    expect(paramOf({ switchyard: null })).toBe('switchyard');
    expect(paramOf({ switchyard: { deployment: 7 } })).toBe('switchyard.deployment');
    expect(paramOf({ switchyard: { task: [] } })).toBe('switchyard.task');
    expect(paramOf({ switchyard: [1] })).toBe('switchyard');
    expect(paramOf({ switchyard: { deploymnet: 'secondary' } })).toBe('switchyard.deploymnet');
  });
});
