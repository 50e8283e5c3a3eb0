/**
 * Valid requests for each front door, covering what clients send (tools and tool choice, images and
 * files, system prompts, multi-turn with tool results and reasoning, structured output), for the doors'
 * fuzz spec to mutate; and which parts of each body an upstream receives verbatim (free-form).
 */
import type { Path } from './mutate.js';

export interface DoorSeeds {
  name: 'openai-chat' | 'openai-responses' | 'anthropic-messages';
  path: string;
  /** Seeds for a model (a deployment id); `previous` names a stored response a seed may continue. */
  seeds(model: string, previous?: string): Array<Record<string, unknown>>;
  /** Parts of the body that reach the upstream as the client wrote them. */
  freeForm(path: Path): boolean;
}

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const PDF = 'JVBERi0xLjQK';
// additionalProperties false: OpenAI refuses a strict schema with an object that allows others.
const SCHEMA = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false };

/** A path passes through a key of `keys` (a JSON Schema or a tool's input, kept whole). */
const through =
  (...keys: string[]) =>
  (path: Path): boolean =>
    path.some((k) => typeof k === 'string' && keys.includes(k));

export const OPENAI_CHAT: DoorSeeds = {
  name: 'openai-chat',
  path: '/v1/chat/completions',
  freeForm: through('parameters', 'schema'),
  seeds: (model) => [
    { model, messages: [{ role: 'user', content: 'Hi' }] },
    {
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'found' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks a query up.', parameters: SCHEMA, strict: false } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      temperature: 0.5,
      max_tokens: 50,
    },
    {
      model,
      messages: [{ role: 'developer', content: 'JSON only.' }, { role: 'user', content: 'Give me JSON', name: 'ann' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: SCHEMA, strict: true } },
      stop: ['END'],
      top_p: 0.9,
      seed: 7,
      user: 'u-1',
      n: 1,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
    },
    { model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: [{ type: 'text', text: 'Stream it.' }] }] },
    {
      model,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long instructions.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Summarise.' }, { type: 'file', file: { file_data: `data:application/pdf;base64,${PDF}`, filename: 'a.pdf' } }] },
        { role: 'assistant', content: 'Earlier answer.' },
        // JSON mode needs the word "json" in a message, or OpenAI refuses it.
        { role: 'user', content: 'And now? Answer in JSON.' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: SCHEMA } }],
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      reasoning_effort: 'low',
      max_completion_tokens: 64,
    },
  ],
};

export const OPENAI_RESPONSES: DoorSeeds = {
  name: 'openai-responses',
  path: '/v1/responses',
  freeForm: through('parameters', 'schema'),
  seeds: (model, previous) => [
    { model, input: 'Hi' },
    ...(previous === undefined ? [] : [{ model, previous_response_id: previous, input: [{ role: 'user', content: 'And then?' }], store: true }]),
    {
      model,
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG}`, detail: 'low' }] },
        { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'found' },
      ],
      tools: [{ type: 'function', name: 'lookup', description: 'Looks a query up.', parameters: SCHEMA, strict: false }],
      tool_choice: { type: 'function', name: 'lookup' },
      parallel_tool_calls: false,
      temperature: 0.5,
      max_output_tokens: 50,
      metadata: { ticket: 't-1' },
      user: 'u-1',
    },
    {
      model,
      input: [
        { type: 'message', role: 'developer', content: 'JSON only.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Give me JSON' }] },
      ],
      text: { format: { type: 'json_schema', name: 'answer', schema: SCHEMA, strict: true } },
      top_p: 0.9,
      reasoning: { effort: 'low', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      store: false,
      truncation: 'auto',
    },
    {
      model,
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Summarise.' }, { type: 'input_file', file_data: `data:application/pdf;base64,${PDF}`, filename: 'a.pdf' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Thought about it.' }] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Earlier answer.' }] },
        { role: 'user', content: 'And now?' },
        // Bedrock takes no image URLs.
        ...(model === 'bedrock' ? [] : [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/cat.png' }] }]),
      ],
      tools: [{ type: 'function', name: 'lookup', parameters: SCHEMA }],
      tool_choice: 'auto',
      service_tier: 'auto',
      stream_options: {},
    },
  ],
};

export const ANTHROPIC_MESSAGES: DoorSeeds = {
  name: 'anthropic-messages',
  path: '/v1/messages',
  freeForm: (path) => path[0] === 'tools' ? path[2] === 'input_schema' : path[0] === 'messages' && path[4] === 'input',
  seeds: (model) => [
    { model, max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] },
    {
      model,
      max_tokens: 64,
      system: [{ type: 'text', text: 'Long instructions.', cache_control: { type: 'ephemeral', ttl: '5m' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'found' }], is_error: false }, { type: 'text', text: 'Go on.' }] },
      ],
      tools: [{ name: 'lookup', description: 'Looks a query up.', input_schema: SCHEMA, cache_control: { type: 'ephemeral' } }],
      tool_choice: { type: 'tool', name: 'lookup', disable_parallel_tool_use: true },
      temperature: 0.5,
      top_k: 5,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      cache_control: { type: 'ephemeral' },
    },
    {
      model,
      max_tokens: 2048,
      system: 'Be brief.',
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        { role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'a.pdf' }, { type: 'document', source: { type: 'text', data: 'plain words' } }, { type: 'text', text: 'Summarise.' }] },
        { role: 'assistant', content: 'Earlier answer.' },
        { role: 'user', content: 'And now?' },
      ],
      service_tier: 'auto',
    },
    {
      model,
      max_tokens: 64,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Call it.' }, ...(model === 'bedrock' ? [] : [{ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }])] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'lookup', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'none' }] },
        { role: 'assistant', content: 'Prefilled' },
      ],
      tools: [{ type: 'custom', name: 'lookup', input_schema: SCHEMA }],
      tool_choice: { type: 'any' },
      top_p: 0.9,
    },
  ],
};

/** What count_tokens refuses of a Messages body: the generation's settings. */
const NOT_COUNTED = ['max_tokens', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream', 'metadata', 'service_tier'];

/** Counting a Messages request's tokens takes the same body, less the generation's settings. */
export const ANTHROPIC_COUNT_TOKENS: DoorSeeds = {
  ...ANTHROPIC_MESSAGES,
  path: '/v1/messages/count_tokens',
  seeds: (model) => ANTHROPIC_MESSAGES.seeds(model).map((seed) => Object.fromEntries(Object.entries(seed).filter(([key]) => !NOT_COUNTED.includes(key)))),
};

export const DOORS: readonly DoorSeeds[] = [OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC_MESSAGES, ANTHROPIC_COUNT_TOKENS];
