import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { makeUsage } from '../../core/types.js';
import type { ServedBy } from '../../gateway/api.js';
import type { RouteContext } from '../../http/route.js';
import { decodeResponsesRequest } from './decode.js';
import { ResponseIds, type ResponseFrame } from './encode.js';
import { silentLogger } from '../../core/logger.js';
import { Conversations } from './store/conversations.js';
import { MemoryConversationStore } from './store/memory.js';
import { ResponsesStreamEncoder, storageListener } from './stream.js';

const servedBy: ServedBy = { deployment: 'd', provider: 'p', region: undefined, model: 'm', group: undefined, attempts: 1, requestId: 'r' };
const ctx = { gateway: { config: { deployments: [] } } } as unknown as RouteContext;

describe('a Responses stream that breaks after its first byte', () => {
  it("names the refused place in the Responses body, where a continuation's dialect named the canonical request's", () => {
    const body = { model: 'm', instructions: 'Be brief.', previous_response_id: 'resp_0', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: 'data:image/bmp;base64,Qk0=' }] }] };
    const frame: ResponseFrame = { id: 'resp_1', createdAt: 1, model: 'm', echo: decodeResponsesRequest(body).echo, stored: false };
    const encoder = new ResponsesStreamEncoder(ctx, servedBy, frame, new ResponseIds('req_1'), undefined, { encrypted: false, summaries: false }, body, 2);
    encoder.part({ type: 'text', delta: 'Hel' });
    const refused = new GatewayError({ kind: 'invalid_request', message: "'messages[3].content[1]' is an image of type image/bmp.", param: 'messages[3].content[1]' });
    const raw = encoder.error(refused);
    const error = raw.split('\n\n').find((f) => f.startsWith('event: error\n')) ?? '';
    expect(JSON.parse(error.slice(error.indexOf('data: ') + 6))).toMatchObject({ param: 'input[0].content[1].image_url', message: "'input[0].content[1].image_url' is an image of type image/bmp." });
    expect(raw).not.toContain('messages[');
  });

  it("names what failed with OpenAI's codes in the error event: server_error where OpenAI has no other", () => {
    const body = { model: 'm', input: 'Hi' };
    const codes = (error: GatewayError): unknown[] => {
      const frame: ResponseFrame = { id: 'resp_1', createdAt: 1, model: 'm', echo: decodeResponsesRequest(body).echo, stored: false };
      const encoder = new ResponsesStreamEncoder(ctx, servedBy, frame, new ResponseIds('req_1'), undefined, { encrypted: false, summaries: false }, body, 0);
      encoder.part({ type: 'text', delta: 'Hel' });
      const frames = encoder.error(error).split('\n\n').filter((f) => f !== '');
      return frames.slice(-2).map((f) => {
        const data = JSON.parse(f.slice(f.indexOf('data: ') + 6)) as { code?: unknown; response?: { error: { code: unknown } } };
        return data.response ? data.response.error.code : data.code;
      });
    };
    expect(codes(new GatewayError({ kind: 'upstream_error', message: 'x' }))).toEqual(['server_error', 'server_error']);
    expect(codes(new GatewayError({ kind: 'network', message: 'x' }))).toEqual(['server_error', 'server_error']);
    expect(codes(new GatewayError({ kind: 'rate_limited', message: 'x' }))).toEqual(['rate_limit_exceeded', 'rate_limit_exceeded']);
    expect(codes(new GatewayError({ kind: 'context_window_exceeded', message: 'x' }))).toEqual(['context_length_exceeded', 'server_error']);
  });

  it('says in its trailers what the request was billed (its error carries it), the events unchanged', () => {
    const priced: RouteContext = { ...ctx, costOf: (_served, usage) => ({ usd: (usage?.prompt ?? 0) / 1000, priced: true }) };
    const body = { model: 'm', input: 'Hi' };
    const frame: ResponseFrame = { id: 'resp_1', createdAt: 1, model: 'm', echo: decodeResponsesRequest(body).echo, stored: false };
    const encoder = (): ResponsesStreamEncoder => new ResponsesStreamEncoder(priced, servedBy, frame, new ResponseIds('req_1'), undefined, { encrypted: false, summaries: false }, body, 0);
    const billed = encoder();
    const untold = encoder();
    const broken = new GatewayError({ kind: 'network', message: 'cut' });
    for (const e of [billed, untold]) e.part({ type: 'text', delta: 'Hel' });
    expect(billed.error(broken.withSpent({ usage: makeUsage({ prompt: 2500, completion: 4 }), estimated: false }))).toBe(untold.error(broken));
    expect(billed.trailers()).toEqual({ 'x-switchyard-cost-usd': '2.5' });
    expect(untold.trailers()).toBeUndefined();
  });
});

describe('a stored Responses stream that ends badly', () => {
  const body = { model: 'm', input: 'Hi' };
  const frame: ResponseFrame = { id: 'resp_req1', createdAt: 1, model: 'm', echo: decodeResponsesRequest(body).echo, stored: true };
  const begun = { response: '{"status":"in_progress"}', inputItems: '[]' };
  const listening = { ...ctx, streamEnded: () => undefined } as unknown as RouteContext;

  /** The stream's end as the SSE relay reports it, after `error` threw `thrown`; what the store then holds. */
  async function endWith(thrown: GatewayError): Promise<{ frames: string; kept: unknown }> {
    const conversations = new Conversations(new MemoryConversationStore({ retentionMs: 60_000, maxEntries: 10, maxBytes: 1_000_000 }), silentLogger);
    await conversations.begin('resp_req1', 'k', begun);
    const storage = { conversations, owner: 'k', messages: [], residency: undefined, inputItems: '[]' };
    const encoder = new ResponsesStreamEncoder(listening, servedBy, frame, new ResponseIds('req1'), storage, { encrypted: false, summaries: false }, body, 0);
    encoder.part({ type: 'text', delta: 'Hel' });
    const frames = encoder.error(thrown);
    storageListener(listening, storage, 'resp_req1', encoder).streamEnded(thrown.kind);
    await conversations.settled();
    const kept = await conversations.answered('resp_req1', 'k').then(
      (a) => JSON.parse(a.response) as unknown,
      (err: unknown) => err,
    );
    return { frames, kept };
  }

  it('keeps a failure as its response.failed response', async () => {
    const { frames, kept } = await endWith(new GatewayError({ kind: 'network', message: 'cut' }));
    const failed = frames.split('\n\n').find((f) => f.startsWith('event: response.failed\n')) ?? '';
    expect(kept).toEqual((JSON.parse(failed.slice(failed.indexOf('data: ') + 6)) as { response: unknown }).response);
    expect(kept).toMatchObject({ status: 'failed', error: { code: 'server_error' } });
  });

  it('keeps nothing when the failure is the client leaving (its cancellation reached the upstream first)', async () => {
    const { kept } = await endWith(new GatewayError({ kind: 'cancelled', message: 'The request was cancelled.' }));
    expect(kept).toMatchObject({ status: 404, code: 'response_not_found' });
  });
});

describe('a Responses stream of a refusal', () => {
  it('streams the refusal parts as refusal.delta events and completes with the refusal in the message', () => {
    const body = { model: 'm', input: 'x' };
    const frame: ResponseFrame = { id: 'resp_1', createdAt: 1, model: 'm', echo: decodeResponsesRequest(body).echo, stored: false };
    const encoder = new ResponsesStreamEncoder(ctx, servedBy, frame, new ResponseIds('req_1'), undefined, { encrypted: false, summaries: false }, body, 0);
    const raw = [
      encoder.part({ type: 'start', id: 'c', model: 'm' }),
      encoder.part({ type: 'refusal', delta: "I can't" }),
      encoder.part({ type: 'refusal', delta: ' help.' }),
      encoder.part({ type: 'finish', finishReason: 'stop' }),
      ...encoder.end(),
    ].join('');
    const events = raw.split('\n\n').filter((f) => f !== '').map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)) as Record<string, unknown>);
    expect(events.filter((e) => e.type === 'response.refusal.delta').map((e) => e.delta)).toEqual(["I can't", ' help.']);
    expect(events.some((e) => e.type === 'response.output_text.delta')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { status: 'completed', output: [{ type: 'message', content: [{ type: 'refusal', refusal: "I can't help." }] }] } });
  });
});
