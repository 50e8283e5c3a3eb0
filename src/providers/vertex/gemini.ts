import {
  decodeGenerateContentResponse,
  decodeGenerateContentStream,
  encodeCountTokensRequest,
  encodeGenerateContentRequest,
  mapGoogleError,
} from '../dialects/gemini/index.js';
import type { Upstream } from '../upstream.js';
import type { PublisherWire } from './publisher.js';

/** Gemini models (publisher `google`): generateContent and the SSE stream, Google error shapes. */
export function geminiWire(upstream: Upstream, model: string): PublisherWire {
  const { provider } = upstream;
  return {
    chatMethod: (stream) => (stream ? 'streamGenerateContent?alt=sse' : 'generateContent'),
    encodeChat: (request) => encodeGenerateContentRequest(request, model),
    decodeChat: (json, warnings) => decodeGenerateContentResponse(json, upstream, { warnings }),
    decodeStream: (events, warnings) => decodeGenerateContentStream(events, upstream, warnings),
    mapError: (status, headers, body) => mapGoogleError(status, headers, body, provider),
    // countTokens is free and checks credentials, the project and the model in one call.
    probe: () => ({ method: 'countTokens', body: { contents: [{ role: 'user', parts: [{ text: 'ping' }] }] } }),
    countTokens: (request) => ({ method: 'countTokens', body: encodeCountTokensRequest(encodeGenerateContentRequest(request, model).body), countField: 'totalTokens' }),
  };
}
