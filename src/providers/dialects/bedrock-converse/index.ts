export type { ConverseRequestBody, CountTokensBody, BedrockUsage } from './wire.js';
export { encodeConverseRequest, conversePassthroughProblem, offersNoTools, CLAUDE_MODEL_FIELDS, type EncodeOptions } from './encode-request.js';
export { encodeCountTokensRequest, countTokensModelId } from './count-tokens.js';
export { encodeConversation, documentName, type EncodedConversation } from './encode-messages.js';
export { decodeConverseResponse, BEDROCK_NAMESPACE } from './decode-response.js';
export { decodeConverseStream } from './decode-stream.js';
export { mapBedrockError, mapStreamException } from './map-error.js';
export { mapStopReason, toolNotOffered } from './finish-reason.js';
export { decodeBedrockUsage } from './usage.js';
export { isClaudeModel, reasoningProviderFor } from './model-family.js';
export {
  embeddingFamily,
  encodeTitanRequest,
  decodeTitanResponse,
  encodeCohereRequest,
  decodeCohereResponse,
  COHERE_BATCH,
  type EmbeddingFamily,
} from './embeddings.js';
