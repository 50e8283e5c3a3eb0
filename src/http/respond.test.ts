import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { errorChain } from './respond.js';

describe('errorChain', () => {
  it('carries the stack of the original error under the wrapper', () => {
    const original = new TypeError("Cannot read properties of undefined (reading 'name')");
    const text = errorChain(new GatewayError({ kind: 'internal', message: 'Internal gateway error.', cause: original }));
    expect(text).toContain('GatewayError: Internal gateway error.');
    expect(text).toContain("caused by:\nTypeError: Cannot read properties of undefined (reading 'name')\n    at ");
  });
});
