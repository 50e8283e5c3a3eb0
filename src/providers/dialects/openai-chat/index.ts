export { encodeChatRequest, encodeEmbeddingRequest, type ChatEncodeOptions, type EncodedChatRequest, type MaxTokensField } from './encode-request.js';
export { maxTokensFieldFor, reasoningEffortsFor, type ReasoningEfforts } from './reasoning.js';
export { samplingRuleFor, type SamplingRule } from './sampling-rules.js';
export { decodeChatResponse, decodeEmbeddingResponse } from './decode-response.js';
export { decodeChatStream, chatChunkDecoder } from './decode-stream.js';
export { AZURE_NAMESPACE, azureFilterResults } from './azure-filters.js';
export { mapOpenAIEmbeddingError, mapOpenAIError } from './map-error.js';
export { decodeUsage, encodeUsage } from './usage.js';
export { mapFinishReason } from './finish-reason.js';
