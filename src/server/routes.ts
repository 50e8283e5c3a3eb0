import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { Gateway, RequestOptions, ServedBy } from '../gateway/gateway.js';
import { ChunkEncoder, encodeChatResponse, encodeEmbeddingResponse } from '../providers/dialects/openai-chat/index.js';
import { exposesUpstream, parseJson, readBody, sendJson } from './http-util.js';
import { SseWriter } from './sse.js';
import type { Caller } from './auth.js';
import type { BilledAttempt, FinishReason, StreamPart, Usage } from '../core/types.js';

/** Prices an answer; `usd` is undefined when the model has no known price (never silently zero). */
export type CostFn = (servedBy: Pick<ServedBy, 'deployment' | 'provider' | 'model' | 'region'>, usage: Usage | undefined) => { usd: number | undefined; priced: boolean };

/** What a route handler gets for one request. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  gateway: Gateway;
  caller: Caller;
  requestId: string;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  bodyLimit: number;
  costOf: CostFn | undefined;
  /** Set by handlers so the access log can name who served the request. */
  servedBy?: ServedBy;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** Health routes answer without authentication. */
  public?: boolean;
  handle(ctx: RouteContext): Promise<void>;
}

/** Reads the routing hints a client may give; a key's residency is never loosened by a header. */
function requestOptions(ctx: RouteContext): RequestOptions {
  const h = ctx.req.headers;
  const opts: RequestOptions = { signal: ctx.signal, requestId: ctx.requestId, tags: ctx.caller.tags, access: ctx.caller.access };
  const residency = ctx.caller.residency ?? (h['x-switchyard-residency'] as string | undefined);
  if (residency) opts.residency = residency;
  if (typeof h['x-switchyard-deployment'] === 'string') opts.override = h['x-switchyard-deployment'];
  if (typeof h['x-switchyard-task'] === 'string') opts.task = h['x-switchyard-task'];
  return opts;
}

/**
 * The usage extension with the answer's cost; `cost_usd: null` marks an unpriced model. An answer of
 * several attempts (a resumed stream) costs each one's usage at its own deployment's price.
 */
function costExtension(ctx: RouteContext, servedBy: ServedBy, usage: Usage | undefined, estimated = false, attempts?: readonly BilledAttempt[]): { switchyard: Record<string, unknown> } | undefined {
  if (!ctx.costOf) return estimated ? { switchyard: { estimated: true } } : undefined;
  const cost = attempts ? costOfAttempts(ctx.costOf, attempts) : ctx.costOf(servedBy, usage);
  const ext: Record<string, unknown> = { cost_usd: cost.priced ? cost.usd ?? null : null };
  if (estimated) ext.estimated = true;
  return { switchyard: ext };
}

function costOfAttempts(costOf: CostFn, attempts: readonly BilledAttempt[]): ReturnType<CostFn> {
  let usd = 0;
  for (const a of attempts) {
    const cost = costOf(a, a.usage);
    if (!cost.priced || cost.usd === undefined) return { usd: undefined, priced: false };
    usd += cost.usd;
  }
  return { usd, priced: true };
}

/** At most ten decimals, trailing zeros dropped but one kept after the point (`0.5`, `2.0`). */
function formatUsd(usd: number): string {
  const s = usd.toFixed(10);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end -= 1;
  return s.charCodeAt(end - 1) === 46 /* . */ ? `${s.slice(0, end)}0` : s.slice(0, end);
}

function servedHeaders(s: ServedBy): Record<string, string> {
  const h: Record<string, string> = {
    'x-switchyard-deployment': s.deployment,
    'x-switchyard-provider': s.provider,
    'x-switchyard-attempts': String(s.attempts),
    'x-request-id': s.requestId,
  };
  if (s.region) h['x-switchyard-region'] = s.region;
  return h;
}

async function chatCompletions(ctx: RouteContext): Promise<void> {
  const body = parseJson(await readBody(ctx.req, ctx.bodyLimit));
  const opts = requestOptions(ctx);
  if ((body as { stream?: unknown } | null)?.stream === true) return streamCompletion(ctx, body as Parameters<Gateway['stream']>[0], opts);
  const { response, servedBy } = await ctx.gateway.chat(body as Parameters<Gateway['chat']>[0], opts);
  ctx.servedBy = servedBy;
  const headers = servedHeaders(servedBy);
  const cost = costExtension(ctx, servedBy, response.usage, response.usageEstimated);
  if (cost && typeof cost.switchyard.cost_usd === 'number') headers['x-switchyard-cost-usd'] = formatUsd(cost.switchyard.cost_usd);
  sendJson(ctx.res, 200, encodeChatResponse(response, (body as { model: string }).model, cost), headers);
}

async function streamCompletion(ctx: RouteContext, body: Parameters<Gateway['stream']>[0], opts: RequestOptions): Promise<void> {
  const { parts, servedBy } = await ctx.gateway.stream(body, opts);
  ctx.servedBy = servedBy;
  const { res } = ctx;
  const head = servedHeaders(servedBy);
  head['content-type'] = 'text/event-stream';
  head['cache-control'] = 'no-cache';
  // The cost is only known at the end: it travels as an HTTP trailer and in the usage chunk.
  if (ctx.costOf) head.trailer = 'x-switchyard-cost-usd';
  try {
    res.writeHead(200, head);
  } catch (err) {
    // Not one part will be read: close the upstream and settle the attempt now.
    await parts[Symbol.asyncIterator]().return?.();
    throw err;
  }
  const includeUsage = body.stream_options?.include_usage === true;
  const encoder = new ChunkEncoder(`chatcmpl-${ctx.requestId}`, body.model, Math.floor(Date.now() / 1000), includeUsage);
  const out = new SseWriter(res, ctx.gateway.config.routing.stream_idle_timeout_ms);
  // Provider-specific stream data (filter results, raw stop reasons) only for clients that opted in:
  // merged per namespace and carried by the last chunk, so the stream keeps OpenAI's shape.
  const tail = wantsStreamExtensions(ctx, servedBy) ? new ExtensionTail() : undefined;
  try {
    const iterator = parts[Symbol.asyncIterator]();
    for await (const part of { [Symbol.asyncIterator]: () => iterator }) {
      try {
        if (res.destroyed) break;
        let json: string | undefined;
        if (part.type === 'usage') {
          const cost = costExtension(ctx, servedBy, part.usage, part.estimated, part.attempts);
          if (cost && typeof cost.switchyard.cost_usd === 'number') res.addTrailers({ 'x-switchyard-cost-usd': formatUsd(cost.switchyard.cost_usd) });
          if (!includeUsage) continue;
          if (tail) {
            tail.usage = { usage: part.usage, cost };
            continue;
          }
          json = encoder.usage(part.usage, cost);
        } else if (tail && tail.take(part)) continue;
        else json = encoder.encode(part);
        if (json === undefined) continue;
        const drained = out.add(json);
        if (drained) await drained;
      } catch (err) {
        // A failure of our own while relaying is an error of the attempt, not a client disconnect:
        // settle it as such before the loop's cleanup would record it as cancelled.
        await iterator.throw?.(err).catch(() => undefined);
        throw err;
      }
    }
  } catch (err) {
    // After the first byte there is no fallback left: say so explicitly and never send [DONE].
    const error = GatewayError.isInstance(err) ? err.withDeployment(servedBy.deployment, servedBy.provider) : new GatewayError({ kind: 'internal', message: 'Internal gateway error.' });
    out.end(JSON.stringify(error.toOpenAI(exposesUpstream(ctx.gateway.config, servedBy.deployment))));
    return;
  }
  if (tail && !res.destroyed) tail.flush(encoder, out);
  out.end('[DONE]');
}

/** Stream extensions are opt-in: the `x-switchyard-stream-extensions: true` header or the group's `stream_extensions`. */
function wantsStreamExtensions(ctx: RouteContext, servedBy: ServedBy): boolean {
  if (ctx.req.headers['x-switchyard-stream-extensions'] === 'true') return true;
  return servedBy.group !== undefined && ctx.gateway.config.groups.some((g) => g.name === servedBy.group && g.stream_extensions);
}

/** Holds the finish and usage chunks of a stream with extensions, so the last chunk can carry them. */
class ExtensionTail {
  private extensions: Record<string, Record<string, unknown>> | undefined;
  private finishReason: FinishReason | undefined;
  usage: { usage: Usage; cost: Record<string, unknown> | undefined } | undefined;

  /** Keeps extension and finish parts; false for parts to encode now. */
  take(part: StreamPart): boolean {
    if (part.type === 'extension') {
      this.extensions ??= {};
      this.extensions[part.namespace] = { ...this.extensions[part.namespace], ...part.data };
      return true;
    }
    if (part.type === 'finish') {
      this.finishReason = part.finishReason;
      return true;
    }
    return false;
  }

  flush(encoder: ChunkEncoder, out: SseWriter): void {
    const last = this.usage;
    if (this.finishReason !== undefined) out.add(encoder.finish(this.finishReason, last ? undefined : this.extensions));
    if (last) out.add(encoder.usage(last.usage, last.cost, this.extensions));
  }
}

async function embeddings(ctx: RouteContext): Promise<void> {
  const body = parseJson(await readBody(ctx.req, ctx.bodyLimit));
  const { response, servedBy } = await ctx.gateway.embed(body as Parameters<Gateway['embed']>[0], requestOptions(ctx));
  ctx.servedBy = servedBy;
  const { model, encoding_format: format } = body as { model: string; encoding_format?: 'float' | 'base64' };
  const headers = servedHeaders(servedBy);
  const cost = costExtension(ctx, servedBy, response.usage);
  if (cost && typeof cost.switchyard.cost_usd === 'number') headers['x-switchyard-cost-usd'] = formatUsd(cost.switchyard.cost_usd);
  sendJson(ctx.res, 200, encodeEmbeddingResponse(response, model, format), headers);
}

/** The model names the calling key may use. */
async function models(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, {
    object: 'list',
    data: ctx.caller.access.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'switchyard' })),
  });
}

/** The OpenAI-compatible API. Feature routes (status, usage, metrics) are added by their modules. */
export const API_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/chat/completions', handle: chatCompletions },
  { method: 'POST', path: '/chat/completions', handle: chatCompletions },
  { method: 'POST', path: '/v1/embeddings', handle: embeddings },
  { method: 'POST', path: '/embeddings', handle: embeddings },
  { method: 'GET', path: '/v1/models', handle: models },
  { method: 'GET', path: '/models', handle: models },
];
