/**
 * What a collector's 2xx answer to an export can say: that it refused some of the spans
 * (`ExportTraceServiceResponse.partial_success`: `rejected_spans`, `error_message`). The OTLP spec has
 * the client not retry them and tell someone, which the exporter does by a warning.
 */
export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** Bytes of an answer read at most: a partial success is a number and a sentence. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The partial success in an answer's body, protobuf or JSON as the request was; undefined when the body
 * says none (empty, `{}`, zero rejected and no message) or cannot be read (the spans were taken: a 2xx).
 */
export function partialSuccess(body: Uint8Array, protobuf: boolean): PartialSuccess | undefined {
  const found = protobuf ? fromProtobuf(body) : fromJson(body);
  return found && (found.rejectedSpans > 0 || found.errorMessage !== '') ? found : undefined;
}

function fromJson(body: Uint8Array): PartialSuccess | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  const partial = typeof answer === 'object' && answer !== null ? (answer as { partialSuccess?: unknown }).partialSuccess : undefined;
  if (typeof partial !== 'object' || partial === null) return undefined;
  // int64 is a decimal string in the JSON mapping; a number is accepted too.
  const { rejectedSpans, errorMessage } = partial as { rejectedSpans?: unknown; errorMessage?: unknown };
  const rejected = typeof rejectedSpans === 'string' || typeof rejectedSpans === 'number' ? Number(rejectedSpans) : 0;
  return { rejectedSpans: Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0, errorMessage: typeof errorMessage === 'string' ? errorMessage : '' };
}

/** A protobuf message's fields, as far as they read: field number, wire type, and the value's bytes or number. */
function* fields(bytes: Uint8Array): Generator<{ field: number; wire: number; value: number; start: number; end: number }> {
  let pos = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64 && pos < bytes.length; shift += 7) {
      const b = bytes[pos++] as number;
      // Past 2^53 the count is no longer exact, and no collector rejects that many spans.
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const key = varint();
    if (key === undefined) return;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const value = varint();
      if (value === undefined) return;
      yield { field, wire, value, start: pos, end: pos };
    } else if (wire === 2) {
      const length = varint();
      if (length === undefined || pos + length > bytes.length) return;
      yield { field, wire, value: length, start: pos, end: pos + length };
      pos += length;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
    } else return;
  }
}

/** `ExportTraceServiceResponse`: partial_success (1) of `rejected_spans` (1, int64) and `error_message` (2). */
function fromProtobuf(body: Uint8Array): PartialSuccess | undefined {
  let found: PartialSuccess | undefined;
  for (const f of fields(body)) {
    if (f.field !== 1 || f.wire !== 2) continue;
    found = { rejectedSpans: 0, errorMessage: '' };
    for (const g of fields(body.subarray(f.start, f.end))) {
      if (g.field === 1 && g.wire === 0) found.rejectedSpans = Number.isSafeInteger(g.value) ? g.value : 0;
      else if (g.field === 2 && g.wire === 2) found.errorMessage = Buffer.from(body.buffer, body.byteOffset + f.start + g.start, g.end - g.start).toString('utf8');
    }
  }
  return found;
}
