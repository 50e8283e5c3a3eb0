import { GatewayError, toGatewayError } from '../core/errors.js';
import type { StreamPart, Usage } from '../core/types.js';
import { makeUsage } from '../core/types.js';

/** A stream whose first content part has already arrived (so routing is settled). */
export interface OpenedStream {
  iterator: AsyncIterator<StreamPart>;
  /** Parts read while waiting for the first content part. */
  head: StreamPart[];
  ttftMs: number;
}

const isContent = (p: StreamPart): boolean => p.type === 'text' || p.type === 'tool-call' || p.type === 'finish';

/**
 * Reads parts until the first content part, so that a failure before any content can still fall
 * back. A stream that ends before any content is a failure, not an empty success.
 */
export async function openUntilContent(parts: AsyncIterable<StreamPart>, startedAt: number, now: () => number, provider: string): Promise<OpenedStream> {
  const iterator = parts[Symbol.asyncIterator]();
  const head: StreamPart[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      throw new GatewayError({ kind: 'network', message: `Upstream ${provider} stream ended before any content.`, provider });
    }
    head.push(next.value);
    if (isContent(next.value)) return { iterator, head, ttftMs: now() - startedAt };
  }
}

export interface StreamSettlement {
  outcome: 'ok' | 'error' | 'cancelled';
  usage: Usage;
  usageEstimated: boolean;
  error?: GatewayError;
}

/**
 * Relays an opened stream and settles it exactly once: on a clean end with the upstream's usage; on a
 * break or a client disconnect with whatever usage can be known, counted from the text when the
 * upstream never sent it. A stream without a finish part is a truncation and throws.
 */
export async function* relay(
  opened: OpenedStream,
  promptEstimate: number,
  abortUpstream: () => void,
  settle: (s: StreamSettlement) => void,
): AsyncGenerator<StreamPart> {
  let usage: Usage | undefined;
  let finished = false;
  let completionChars = 0;
  let settled = false;
  const account = (p: StreamPart): void => {
    if (p.type === 'text') completionChars += p.delta.length;
    else if (p.type === 'tool-call') completionChars += p.argumentsDelta.length + (p.name?.length ?? 0);
    else if (p.type === 'usage') usage = p.usage;
    else if (p.type === 'finish') finished = true;
  };
  const settleOnce = (outcome: StreamSettlement['outcome'], error?: GatewayError): void => {
    if (settled) return;
    settled = true;
    const estimated = usage === undefined;
    settle({
      outcome,
      usage: usage ?? makeUsage({ prompt: promptEstimate, completion: Math.ceil(completionChars / 4) }),
      usageEstimated: estimated,
      error,
    });
  };
  try {
    for (const p of opened.head) {
      account(p);
      yield p;
    }
    for (;;) {
      const next = await opened.iterator.next();
      if (next.done) break;
      account(next.value);
      yield next.value;
    }
    if (!finished) throw new GatewayError({ kind: 'network', message: 'The upstream stream ended without finishing.' });
    settleOnce('ok');
  } catch (err) {
    const error = toGatewayError(err);
    settleOnce(error.kind === 'cancelled' ? 'cancelled' : 'error', error);
    throw error;
  } finally {
    if (!settled) {
      // The consumer stopped early (client went away): stop the upstream and bill what we saw.
      abortUpstream();
      void opened.iterator.return?.();
      settleOnce('cancelled', new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
    }
  }
}
