import type { CallContext } from '../core/provider.js';

/** The W3C trace context an upstream call carries (tracing on): see `CallContext`. */
type TraceHeaders = Pick<CallContext, 'traceparent' | 'tracestate'>;

/**
 * `headers` with the attempt's W3C trace context added when there is one (a copy only then): its
 * `traceparent`, and the client's `tracestate` with it. Not `{ ...headers, traceparent }`: on Node 20
 * that gives every copy a hidden class of its own.
 */
export function withTraceContext(headers: Record<string, string>, ctx: TraceHeaders): Record<string, string> {
  const { traceparent, tracestate } = ctx;
  if (traceparent === undefined) return headers;
  return tracestate === undefined ? Object.assign({}, headers, { traceparent }) : Object.assign({}, headers, { traceparent, tracestate });
}

/** Adds the attempt's W3C trace context to `headers`, built for this one request (so before SigV4 signs them). */
export function addTraceContext(headers: Record<string, string>, ctx: TraceHeaders): void {
  if (ctx.traceparent === undefined) return;
  headers.traceparent = ctx.traceparent;
  if (ctx.tracestate !== undefined) headers.tracestate = ctx.tracestate;
}
