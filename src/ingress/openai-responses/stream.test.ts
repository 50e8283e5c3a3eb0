import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { ServedBy } from '../../gateway/api.js';
import type { RouteContext } from '../../http/route.js';
import { decodeResponsesRequest } from './decode.js';
import { ResponseIds, type ResponseFrame } from './encode.js';
import { ResponsesStreamEncoder } from './stream.js';

const servedBy: ServedBy = { deployment: 'd', provider: 'p', region: undefined, model: 'm', group: undefined, attempts: 1, requestId: 'r' };
const ctx = { gateway: { config: { deployments: [] } } } as unknown as RouteContext;

describe('a Responses stream that breaks after its first byte', () => {
  it("names the refused place in the Responses body, where a continuation's dialect named the canonical request's", () => {
    const body = { model: 'm', instructions: 'Be brief.', previous_response_id: 'resp_0', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: 'data:image/bmp;base64,Qk0=' }] }] };
    const frame: ResponseFrame = { id: 'resp_1', createdAt: 1, model: 'm', echo: decodeResponsesRequest(body).echo, stored: false };
    const encoder = new ResponsesStreamEncoder(ctx, servedBy, frame, new ResponseIds('req_1'), undefined, false, body, 2);
    encoder.part({ type: 'text', delta: 'Hel' });
    const refused = new GatewayError({ kind: 'invalid_request', message: "'messages[3].content[1]' is an image of type image/bmp.", param: 'messages[3].content[1]' });
    const raw = encoder.error(refused);
    const error = raw.split('\n\n').find((f) => f.startsWith('event: error\n')) ?? '';
    expect(JSON.parse(error.slice(error.indexOf('data: ') + 6))).toMatchObject({ param: 'input[0].content[1].image_url', message: "'input[0].content[1].image_url' is an image of type image/bmp." });
    expect(raw).not.toContain('messages[');
  });
});
