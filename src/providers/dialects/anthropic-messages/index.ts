/**
 * The Anthropic Messages wire format, shared by the direct Anthropic API, Claude on Vertex
 * (:rawPredict / :streamRawPredict: call with `model` omitted and anthropicVersion 'vertex-2023-10-16')
 * and Bedrock InvokeModel (anthropicVersion 'bedrock-2023-05-31'). Pure mapping, no I/O:
 *
 * - encodeMessagesRequest(req, { model?, anthropicVersion?, stream, defaultMaxTokens, omitSamplingParams?, onWarning? })
 *     -> MessagesRequestBody
 * - decodeMessagesResponse(json, provider) -> ChatResponse
 * - decodeMessagesStream(events: AsyncIterable<SseEvent>, provider) -> AsyncGenerator<StreamPart>
 *     (throws GatewayError on `error` events and when message_stop never comes)
 * - mapAnthropicError(status, headers, body, provider) -> GatewayError
 */
export { encodeMessagesRequest, messagesPassthroughProblem, type EncodeMessagesOptions } from './encode-request.js';
export { encodeConversation, type EncodedConversation } from './encode-messages.js';
export { decodeMessagesResponse, ANTHROPIC_NAMESPACE } from './decode-response.js';
export { decodeMessagesStream } from './decode-stream.js';
export { mapAnthropicError, mapAnthropicStreamError, kindForAnthropicErrorType, readAnthropicError } from './map-error.js';
export { mapStopReason } from './finish-reason.js';
export { decodeAnthropicUsage, readTokenCounts, toCanonicalUsage, type AnthropicTokenCounts } from './usage.js';
export type * from './wire.js';
