/**
 * Valid upstream replies for the upstream fuzz spec to damage, per wire format: a whole answer (text,
 * and a tool call), a stream, and an error, written as each cloud writes them (the simulators' shapes:
 * OpenAI's chunks with `include_usage`, Azure's `prompt_filter_results` chunk, Anthropic's named events,
 * Gemini's `data:` lines without `[DONE]`, Bedrock's event-stream frames). An error seed's message holds
 * `UPSTREAM_CANARY`, which a client must never read unless the deployment exposes upstream errors.
 */

/** Planted in upstream text a client must not see (error messages, odd bodies). */
export const UPSTREAM_CANARY = 'UPSTREAM_CANARY_7f3a';

export type Wire = 'openai' | 'azure' | 'anthropic' | 'gemini' | 'bedrock';

/** One event of a stream: an SSE `data:` (with its `event:` name, if any) or an event-stream frame. */
export interface StreamEvent {
  /** The SSE event name, or the frame's `:event-type` (`:exception-type` for an exception). */
  name?: string;
  /** JSON data, or a raw `data:` text such as `[DONE]`. */
  data: unknown;
  exception?: true;
}

export type ReplySeed =
  | { kind: 'json'; label: string; status: number; headers?: Record<string, string>; body: Record<string, unknown>; fails?: true }
  | { kind: 'stream'; label: string; events: StreamEvent[]; fails?: true };

const created = 1_767_225_600;
const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): StreamEvent => ({
  data: { id: 'chatcmpl-1', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini', system_fingerprint: 'fp_1', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null, ...extra },
});
const usageChunk: StreamEvent = { data: { id: 'chatcmpl-1', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } } };

function openAI(azure: boolean): ReplySeed[] {
  const message = { id: 'chatcmpl-1', object: 'chat.completion', created, model: 'gpt-4o-mini', system_fingerprint: 'fp_1', usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } };
  const filters = azure ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }] } : {};
  return [
    { kind: 'json', label: 'text', status: 200, body: { ...message, ...filters, choices: [{ index: 0, message: { role: 'assistant', content: 'Hello thère, frïend \u{1f600}.', refusal: null }, logprobs: null, finish_reason: 'stop' }] } },
    {
      kind: 'json',
      label: 'tool call',
      status: 200,
      body: { ...message, choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] }, logprobs: null, finish_reason: 'tool_calls' }] },
    },
    {
      kind: 'stream',
      label: 'stream',
      events: [
        ...(azure ? [{ data: { id: '', object: '', created: 0, model: '', choices: [], ...filters } }] : []),
        chunk({ role: 'assistant', content: '', refusal: null }),
        chunk({ content: 'Hello' }),
        chunk({ content: ' thère, frïend \u{1f600}.' }),
        chunk({}, 'stop'),
        usageChunk,
        { data: '[DONE]' },
      ],
    },
    {
      kind: 'stream',
      label: 'tool stream',
      events: [
        chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk,
        { data: '[DONE]' },
      ],
    },
    {
      kind: 'stream',
      label: 'reasoning and refusal stream',
      events: [chunk({ role: 'assistant', content: null }), chunk({ reasoning_content: 'Thinking it over.' }), chunk({ refusal: 'I cannot help with that.' }), chunk({}, 'stop'), usageChunk, { data: '[DONE]' }],
    },
    {
      kind: 'stream',
      label: 'error mid-stream',
      fails: true,
      events: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hello' }), { data: { error: { message: `The server had an error ${UPSTREAM_CANARY}`, type: 'server_error', param: null, code: null } } }],
    },
    { kind: 'json', label: 'refusal', status: 200, body: { ...message, choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'I cannot help with that.', reasoning_content: 'Thinking.' }, logprobs: null, finish_reason: azure ? 'content_filter' : 'stop' }] } },
    { kind: 'json', label: 'error 429', fails: true, status: 429, headers: { 'retry-after': '1' }, body: { error: { message: `Rate limit reached ${UPSTREAM_CANARY}`, type: 'requests', param: null, code: 'rate_limit_exceeded' } } },
    { kind: 'json', label: 'error 400', fails: true, status: 400, body: { error: { message: `This model's maximum context length is 128000 tokens ${UPSTREAM_CANARY}`, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } },
  ];
}

const anthropicUsage = { input_tokens: 9, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const ANTHROPIC: ReplySeed[] = [
  { kind: 'json', label: 'text', status: 200, body: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'Hello thère, frïend \u{1f600}.' }], stop_reason: 'end_turn', stop_sequence: null, usage: anthropicUsage } },
  {
    kind: 'json',
    label: 'tool call',
    status: 200,
    body: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [{ type: 'thinking', thinking: 'Look it up.', signature: 'sig' }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } }], stop_reason: 'tool_use', stop_sequence: null, usage: anthropicUsage },
  },
  {
    kind: 'stream',
    label: 'stream',
    events: [
      { name: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } } },
      { name: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
      { name: 'ping', data: { type: 'ping' } },
      { name: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } } },
      { name: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' thère, frïend \u{1f600}.' } } },
      { name: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      { name: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } } },
      { name: 'message_stop', data: { type: 'message_stop' } },
    ],
  },
  {
    kind: 'stream',
    label: 'tool stream',
    events: [
      { name: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } } },
      { name: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} } } },
      { name: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"q":' } } },
      { name: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"x"}' } } },
      { name: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      { name: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 3 } } },
      { name: 'message_stop', data: { type: 'message_stop' } },
    ],
  },
  {
    kind: 'stream',
    label: 'thinking stream',
    events: [
      { name: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1, cache_read_input_tokens: 4 } } } },
      { name: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } } },
      { name: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm.' } } },
      { name: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } } },
      { name: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      { name: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'sealed' } } },
      { name: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
      { name: 'content_block_start', data: { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } } },
      { name: 'content_block_delta', data: { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Done.' } } },
      { name: 'content_block_stop', data: { type: 'content_block_stop', index: 2 } },
      { name: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'refusal', stop_sequence: null }, usage: { output_tokens: 7, input_tokens: 9, cache_read_input_tokens: 4, cache_creation_input_tokens: 2 } } },
      { name: 'message_stop', data: { type: 'message_stop' } },
    ],
  },
  {
    kind: 'stream',
    label: 'error mid-stream',
    fails: true,
    events: [
      { name: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } } },
      { name: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
      { name: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } } },
      { name: 'error', data: { type: 'error', error: { type: 'api_error', message: `Internal server error ${UPSTREAM_CANARY}` } } },
    ],
  },
  {
    kind: 'stream',
    label: 'error event',
    fails: true,
    events: [
      { name: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } } },
      { name: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: `Overloaded ${UPSTREAM_CANARY}` } } },
    ],
  },
  { kind: 'json', label: 'error 529', fails: true, status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: `Overloaded ${UPSTREAM_CANARY}` } } },
  { kind: 'json', label: 'error 400', fails: true, status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: `prompt is too long: 300000 tokens > 200000 maximum ${UPSTREAM_CANARY}` } } },
];

const geminiUsage = { promptTokenCount: 9, candidatesTokenCount: 3, totalTokenCount: 12 };
const GEMINI: ReplySeed[] = [
  { kind: 'json', label: 'text', status: 200, body: { candidates: [{ content: { role: 'model', parts: [{ text: 'Hello thère, frïend \u{1f600}.' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: geminiUsage, modelVersion: 'gemini-2.5-flash', responseId: 'r1' } },
  {
    kind: 'json',
    label: 'tool call',
    status: 200,
    body: { candidates: [{ content: { role: 'model', parts: [{ text: 'thinking', thought: true }, { functionCall: { name: 'lookup', args: { q: 'x' } } }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { ...geminiUsage, thoughtsTokenCount: 2 }, modelVersion: 'gemini-2.5-flash' },
  },
  {
    kind: 'stream',
    label: 'stream',
    events: [
      { data: { candidates: [{ content: { role: 'model', parts: [{ text: 'Hello' }] }, index: 0 }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, modelVersion: 'gemini-2.5-flash' } },
      { data: { candidates: [{ content: { role: 'model', parts: [{ text: ' thère, frïend \u{1f600}.' }] }, index: 0 }], modelVersion: 'gemini-2.5-flash' } },
      { data: { candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: geminiUsage, modelVersion: 'gemini-2.5-flash' } },
    ],
  },
  {
    kind: 'stream',
    label: 'tool stream',
    events: [{ data: { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { q: 'x' } } }] }, finishReason: 'STOP', index: 0 }], usageMetadata: geminiUsage } }],
  },
  {
    kind: 'stream',
    label: 'error mid-stream',
    fails: true,
    events: [{ data: { candidates: [{ content: { role: 'model', parts: [{ text: 'Hello' }] }, index: 0 }] } }, { data: { error: { code: 500, message: `Internal error ${UPSTREAM_CANARY}`, status: 'INTERNAL' } } }],
  },
  { kind: 'json', label: 'blocked prompt', fails: true, status: 200, body: { promptFeedback: { blockReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }] }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } } },
  {
    kind: 'stream',
    label: 'thought stream',
    events: [
      { data: { candidates: [{ content: { role: 'model', parts: [{ text: 'Hmm.', thought: true }] }, index: 0 }] } },
      { data: { candidates: [{ content: { role: 'model', parts: [{ text: 'Done.', thoughtSignature: 'c2ln' }] }, finishReason: 'MAX_TOKENS', index: 0 }], usageMetadata: { ...geminiUsage, thoughtsTokenCount: 2, cachedContentTokenCount: 4 } } },
    ],
  },
  { kind: 'json', label: 'error 429', fails: true, status: 429, body: { error: { code: 429, message: `Resource exhausted ${UPSTREAM_CANARY}`, status: 'RESOURCE_EXHAUSTED' } } },
  { kind: 'json', label: 'error 400', fails: true, status: 400, body: { error: { code: 400, message: `The input token count exceeds the maximum ${UPSTREAM_CANARY}`, status: 'INVALID_ARGUMENT' } } },
];

const bedrockUsage = { inputTokens: 9, outputTokens: 3, totalTokens: 12 };
const BEDROCK: ReplySeed[] = [
  { kind: 'json', label: 'text', status: 200, body: { output: { message: { role: 'assistant', content: [{ text: 'Hello thère, frïend \u{1f600}.' }] } }, stopReason: 'end_turn', usage: bedrockUsage, metrics: { latencyMs: 12 } } },
  {
    kind: 'json',
    label: 'tool call',
    status: 200,
    body: { output: { message: { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'Look it up.', signature: 'sig' } } }, { toolUse: { toolUseId: 'tooluse_1', name: 'lookup', input: { q: 'x' } } }] } }, stopReason: 'tool_use', usage: bedrockUsage, metrics: { latencyMs: 12 } },
  },
  {
    kind: 'stream',
    label: 'stream',
    events: [
      { name: 'messageStart', data: { role: 'assistant', p: 'abc' } },
      { name: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { text: 'Hello' }, p: 'abcdef' } },
      { name: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { text: ' thère, frïend \u{1f600}.' }, p: 'ab' } },
      { name: 'contentBlockStop', data: { contentBlockIndex: 0 } },
      { name: 'messageStop', data: { stopReason: 'end_turn' } },
      { name: 'metadata', data: { usage: bedrockUsage, metrics: { latencyMs: 12 } } },
    ],
  },
  {
    kind: 'stream',
    label: 'tool stream',
    events: [
      { name: 'messageStart', data: { role: 'assistant' } },
      { name: 'contentBlockStart', data: { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_1', name: 'lookup' } } } },
      { name: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { toolUse: { input: '{"q":' } } } },
      { name: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { toolUse: { input: '"x"}' } } } },
      { name: 'contentBlockStop', data: { contentBlockIndex: 0 } },
      { name: 'messageStop', data: { stopReason: 'tool_use' } },
      { name: 'metadata', data: { usage: bedrockUsage, metrics: { latencyMs: 12 } } },
    ],
  },
  {
    kind: 'stream',
    label: 'reasoning stream',
    events: [
      { name: 'messageStart', data: { role: 'assistant' } },
      { name: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Hmm.' } } } },
      { name: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig' } } } },
      { name: 'contentBlockStop', data: { contentBlockIndex: 0 } },
      { name: 'contentBlockDelta', data: { contentBlockIndex: 1, delta: { text: 'Done.' } } },
      { name: 'contentBlockStop', data: { contentBlockIndex: 1 } },
      { name: 'messageStop', data: { stopReason: 'max_tokens' } },
      { name: 'metadata', data: { usage: { ...bedrockUsage, cacheReadInputTokens: 4, cacheWriteInputTokens: 2 }, metrics: { latencyMs: 12 } } },
    ],
  },
  {
    kind: 'stream',
    label: 'exception mid-stream',
    fails: true,
    events: [
      { name: 'messageStart', data: { role: 'assistant' } },
      { name: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { text: 'Hello' } } },
      { name: 'modelStreamErrorException', exception: true, data: { message: `Model error ${UPSTREAM_CANARY}`, originalStatusCode: 500, originalMessage: UPSTREAM_CANARY } },
    ],
  },
  {
    kind: 'stream',
    label: 'exception',
    fails: true,
    events: [
      { name: 'messageStart', data: { role: 'assistant' } },
      { name: 'throttlingException', exception: true, data: { message: `Too many requests ${UPSTREAM_CANARY}` } },
    ],
  },
  { kind: 'json', label: 'error 429', fails: true, status: 429, headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, body: { message: `Too many requests ${UPSTREAM_CANARY}` } },
  { kind: 'json', label: 'error 400', fails: true, status: 400, headers: { 'x-amzn-errortype': 'ValidationException' }, body: { message: `Input is too long for requested model. ${UPSTREAM_CANARY}` } },
];

/** Each wire format's seeds. */
export const REPLY_SEEDS: Readonly<Record<Wire, readonly ReplySeed[]>> = { openai: openAI(false), azure: openAI(true), anthropic: ANTHROPIC, gemini: GEMINI, bedrock: BEDROCK };
