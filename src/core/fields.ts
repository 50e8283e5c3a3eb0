import { GatewayError } from './errors.js';
import type { JsonValue } from './types.js';

/*
 * Request fields a front door does not map. Such a field would otherwise switch on upstream features
 * the operator never granted (Azure `data_sources`, `service_tier`, `store`, vLLM's `chat_template`),
 * so the door hands it over in the request's `passthrough`, and it is refused unless every deployment
 * the request may go to lets it through (`passthrough` in the deployment's config).
 */

/** No mapped fields: for checking a request's `passthrough`, which holds only unmapped ones. */
export const NO_FIELDS: ReadonlySet<string> = new Set();

/**
 * The fields of a client's body that are not in `known` (the door's mapped fields), under their own
 * names; null values ask for nothing and are left out. Undefined when there are none, so a usual
 * request allocates nothing.
 */
export function unmappedFields(body: Record<string, unknown>, known: ReadonlySet<string>): Record<string, JsonValue> | undefined {
  let out: Record<string, JsonValue> | undefined;
  for (const field in body) {
    const v = body[field];
    if (known.has(field) || v === null || v === undefined) continue;
    out ??= {};
    // A client's `__proto__` key is data: defined as an own field, it cannot replace the prototype.
    Object.defineProperty(out, field, { value: v as JsonValue, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** What a deployment lets through beyond the mapped fields (its config's `passthrough`, fixed at load). */
export interface PassthroughGrant {
  readonly config: { readonly passthrough: readonly string[] };
}

/** No field of the client's API left unmapped. */
const NO_API_FIELDS: ReadonlySet<string> = new Set();

/**
 * Refuses (400 invalid_request, `param` = the field) the first field of `body` that is neither in
 * `known` nor let through by every deployment in `targets` (the route plan; when it is empty no
 * upstream sees the body and routing reports why). A null value asks for nothing and passes. A field
 * in `apiFields` (one the client's API defines and its door does not map) is refused as the gateway's
 * `unsupported_parameter`, so the client is not told it does not exist; any other as unrecognized.
 * Runs on every request: it walks the body's own keys and allocates nothing unless it throws.
 */
export function checkRequestFields(body: object, known: ReadonlySet<string>, targets: readonly PassthroughGrant[], apiFields = NO_API_FIELDS): void {
  const values = body as Record<string, unknown>;
  for (const field in values) {
    if (known.has(field) || values[field] === null) continue;
    for (const t of targets) {
      if (!t.config.passthrough.includes(field)) throw apiFields.has(field) ? unsupported(field, targets.length > 1) : unrecognized(field, targets.length > 1);
    }
  }
}

/** True when the deployment lets through every unmapped field of `body` (for fallbacks chosen later). */
export function grantsRequestFields(body: object, known: ReadonlySet<string>, target: PassthroughGrant): boolean {
  const values = body as Record<string, unknown>;
  for (const field in values) {
    if (!known.has(field) && values[field] !== null && !target.config.passthrough.includes(field)) return false;
  }
  return true;
}

/** Copies the client's values of the fields a deployment lets through into an upstream body or slot. */
export function copyPassthrough(request: object, fields: readonly string[], target: Record<string, unknown>): void {
  const values = request as Record<string, unknown>;
  for (const field of fields) {
    const v = values[field];
    if (v !== undefined && v !== null) target[field] = v;
  }
}

const MAX_NAMED = 64;

const SEVERAL = ' (it must be enabled for every deployment this request may be routed to)';

function unrecognized(field: string, several: boolean): GatewayError {
  // The name is the client's own text: bounded, so a huge key cannot balloon the error.
  const name = field.length > MAX_NAMED ? `${field.slice(0, MAX_NAMED)}...` : field;
  return new GatewayError({ kind: 'invalid_request', message: `Unrecognized request argument supplied: ${name}${several ? SEVERAL : ''}.`, param: name, code: 'invalid_request' });
}

/** A real parameter of the client's API that the gateway does not carry (a name from the door's own list, so short). */
function unsupported(field: string, several: boolean): GatewayError {
  const message = `Unsupported parameter: '${field}' is not supported by this gateway${several ? SEVERAL : ''}.`;
  return new GatewayError({ kind: 'invalid_request', message, param: field, code: 'unsupported_parameter' });
}
