export { encodeChatRequest, encodeEmbeddingRequest } from './encode-request.js';
export { decodeChatResponse, decodeEmbeddingResponse } from './decode-response.js';
export { decodeChatStream } from './decode-stream.js';
export { mapOpenAIError } from './map-error.js';
export { decodeUsage, encodeUsage } from './usage.js';
export { mapFinishReason } from './finish-reason.js';
