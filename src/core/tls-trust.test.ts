import { describe, expect, it } from 'vitest';
import { trustHint } from './tls-trust.js';

const withCode = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code });

describe('trustHint: what an operator should do about a certificate no trusted CA signed', () => {
  it('names NODE_EXTRA_CA_CERTS for each of Node’s untrusted-chain codes', () => {
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
      expect(trustHint(withCode(code))).toMatch(/NODE_EXTRA_CA_CERTS/);
    }
  });

  it('finds the code on a cause when a driver wraps the TLS error', () => {
    expect(trustHint(new Error('connection failed', { cause: withCode('SELF_SIGNED_CERT_IN_CHAIN') }))).toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it('says nothing of other failures: a wrong host name, a refused connection, a non-Error', () => {
    expect(trustHint(withCode('ERR_TLS_CERT_ALTNAME_INVALID'))).toBeUndefined();
    expect(trustHint(withCode('ECONNREFUSED'))).toBeUndefined();
    expect(trustHint(new Error('no code'))).toBeUndefined();
    expect(trustHint('text')).toBeUndefined();
  });
});
