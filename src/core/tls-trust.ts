/**
 * Node's codes for a server certificate it could not chain to a CA it trusts. Managed stores often sign
 * with their own CA (Amazon RDS, Cloud SQL and Memorystore's per-instance CAs), which Node's bundle lacks.
 */
const UNTRUSTED_CERTIFICATE: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/** The error, or the first of its causes (a driver may wrap it), that carries a code. */
function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * For an operator's log: what to do when `err` is a certificate no trusted CA signed (the driver's own
 * words only say it could not verify), or undefined. Never for a client's answer: it names the setting.
 */
export function trustHint(err: unknown): string | undefined {
  const code = codeOf(err);
  if (code === undefined || !UNTRUSTED_CERTIFICATE.has(code)) return undefined;
  return 'the server certificate is signed by a CA Node does not trust: give that CA (e.g. the RDS, Cloud SQL or Memorystore server CA) in NODE_EXTRA_CA_CERTS';
}
