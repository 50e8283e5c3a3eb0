/**
 * The Anthropic Messages wire format, shared by the direct Anthropic API, Claude on Vertex
 * (:rawPredict / :streamRawPredict: call with `model` omitted and anthropicVersion 'vertex-2023-10-16')
 * and Bedrock InvokeModel (anthropicVersion 'bedrock-2023-05-31'). Pure mapping, no I/O:
 *
 * - encodeMessagesRequest(req, { model?, forModel?, anthropicVersion?, stream, defaultMaxTokens, omitSamplingParams?, warnings?, passthrough? })
 *     -> MessagesRequestBody (settings it drops or changes are pushed onto `warnings`)
 * - decodeMessagesResponse(json, provider, warnings?) -> ChatResponse (with those warnings)
 * - decodeMessagesStream(events: AsyncIterable<SseEvent>, provider, warnings?) -> AsyncGenerator<StreamPart>
 *     (warnings on the start part; throws GatewayError on `error` events and when message_stop never comes)
 * - encodeCountTokensRequest(body, model) -> the count_tokens body for that request body
 * - mapAnthropicError(status, headers, body, provider) -> GatewayError
 * - claudeTakesPrefill(model) / checkClaudePrefill(...): which Claude models refuse a final assistant message, shared with Bedrock.
 * - planClaudeGeneration(...): Claude's thinking / max_tokens / sampling rules, shared with Bedrock Converse.
 */
export { encodeMessagesRequest, messagesPassthroughProblem, type EncodeMessagesOptions } from './encode-request.js';
export { encodeCountTokensRequest } from './count-tokens.js';
export { claudeTakesPrefill, checkClaudePrefill } from './claude-prefill.js';
export { encodeConversation, ANTHROPIC_REASONING_PROVIDER, type EncodedConversation } from './encode-messages.js';
export { planClaudeGeneration, thinkingObstacle, toolLoopLacksThinking, unsupported, MIN_THINKING_BUDGET, type ClaudeGeneration, type ClaudeBlockKinds } from './claude-generation.js';
export { decodeMessagesResponse, ANTHROPIC_NAMESPACE } from './decode-response.js';
export { decodeMessagesStream } from './decode-stream.js';
export { mapAnthropicError, mapAnthropicStreamError, kindForAnthropicErrorType, readAnthropicError } from './map-error.js';
export { mapStopReason } from './finish-reason.js';
export { decodeAnthropicUsage, readTokenCounts, toCanonicalUsage, type AnthropicTokenCounts } from './usage.js';
export type * from './wire.js';
