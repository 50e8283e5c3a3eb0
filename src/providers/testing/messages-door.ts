import { anthropicShapeProblem } from '../../ingress/testing/error-shapes.js';
import { countsProblem, errorTextProblem, UPSTREAM_STATUSES, namedEvents, type NamedEvent, type ReplyDoor, type Served } from './reply-door.js';

/**
 * The Anthropic Messages door in the upstream fuzz spec. An answer is a `message` with content blocks of
 * known types (a tool_use with its id and name), a known stop_reason and whole usage counts. A stream's
 * events are named by their type: message_start first; content blocks one at a time, started at the next
 * index, their deltas and stop naming that index; after the last block's stop exactly one message_delta
 * with a known stop_reason and whole counts, then message_stop, last. A stream that breaks ends with one
 * `error` event, `{"type":"error","error":{type,message}}`, and no message_stop.
 */

const STOP = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded'];
const USAGE = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'];
const BLOCKS = ['text', 'thinking', 'redacted_thinking', 'tool_use'];
/** The deltas each kind of block takes (a redacted_thinking block comes whole in its start). */
const DELTAS: Readonly<Record<string, readonly string[]>> = { text: ['text_delta'], thinking: ['thinking_delta', 'signature_delta'], redacted_thinking: [], tool_use: ['input_json_delta'] };

function errorProblem(json: unknown): string | undefined {
  return anthropicShapeProblem(json) ?? errorTextProblem(json);
}

function blockProblem(block: Record<string, unknown>): string | undefined {
  if (!BLOCKS.includes(block.type as string)) return `a block of type ${JSON.stringify(block.type)}`;
  if (block.type !== 'tool_use') return undefined;
  if (typeof block.id !== 'string' || block.id === '' || typeof block.name !== 'string' || block.name === '') return `a tool_use without id or name: ${JSON.stringify(block).slice(0, 160)}`;
  return typeof block.input === 'object' && block.input !== null && !Array.isArray(block.input) ? undefined : 'a tool_use whose input is no object';
}

function answerProblem(answer: Record<string, unknown>): string | undefined {
  if (answer.type !== 'message' || answer.role !== 'assistant' || typeof answer.id !== 'string') return `not a message: ${JSON.stringify(answer).slice(0, 120)}`;
  if (!STOP.includes(answer.stop_reason as string)) return `stop_reason ${JSON.stringify(answer.stop_reason)}`;
  if (!Array.isArray(answer.content)) return 'a message without content';
  const content = answer.content as Array<Record<string, unknown>>;
  for (const block of content) {
    const problem = blockProblem(block);
    if (problem !== undefined) return problem;
  }
  if (answer.stop_reason === 'tool_use' && !content.some((b) => b.type === 'tool_use')) return `stop_reason ${String(answer.stop_reason)} with blocks ${JSON.stringify(content.map((b) => b.type))}`;
  return countsProblem(answer.usage, USAGE);
}

/** What is wrong with the order of a stream that ended well, or undefined. */
function orderProblem(events: readonly NamedEvent[]): string | undefined {
  let blocks = 0;
  let open = -1;
  let kind = '';
  let deltas = 0;
  let tools = 0;
  for (const [i, { event, data }] of events.entries()) {
    if (i === 0) continue;
    if (deltas > 0 && event !== 'message_stop') return `${String(event)} after message_delta`;
    switch (event) {
      case 'message_start':
        return 'message_start twice';
      case 'content_block_start': {
        if (open !== -1) return `block ${blocks} started while block ${open} is open`;
        if (data.index !== blocks) return `block started at index ${JSON.stringify(data.index)}, not ${blocks}`;
        const block = data.content_block as Record<string, unknown>;
        const problem = blockProblem(block);
        if (problem !== undefined) return problem;
        kind = block.type as string;
        if (kind === 'tool_use') tools += 1;
        open = blocks;
        blocks += 1;
        break;
      }
      case 'content_block_delta':
        if (open === -1 || data.index !== open) return `a delta at index ${JSON.stringify(data.index)}, open: ${open}`;
        if (!DELTAS[kind]?.includes((data.delta as { type?: string } | undefined)?.type as string)) return `a ${JSON.stringify((data.delta as { type?: string } | undefined)?.type)} in a ${kind} block`;
        break;
      case 'content_block_stop':
        if (open === -1 || data.index !== open) return `a stop at index ${JSON.stringify(data.index)}, open: ${open}`;
        open = -1;
        break;
      case 'message_delta':
        if (open !== -1) return `message_delta while block ${open} is open`;
        if ((data.delta as { stop_reason?: unknown } | undefined)?.stop_reason === 'tool_use' && tools === 0) return `stop_reason ${JSON.stringify((data.delta as { stop_reason?: unknown }).stop_reason)} after ${tools} tool_use block(s)`;
        deltas += 1;
        break;
      case 'message_stop':
        if (deltas !== 1 || i !== events.length - 1) return `message_stop after ${deltas} message_delta, at ${i} of ${events.length}`;
        break;
      case 'ping':
        break;
      default:
        return `an event ${JSON.stringify(event)}`;
    }
  }
  return undefined;
}

function streamProblem(text: string): string | undefined {
  const events = namedEvents(text);
  if (typeof events === 'string') return events;
  const first = events[0];
  if (first?.event !== 'message_start') return `begins with ${JSON.stringify(first?.event)}`;
  const message = first.data.message as Record<string, unknown> | undefined;
  if (typeof message?.id !== 'string' || message.type !== 'message') return `message_start ${JSON.stringify(first.data).slice(0, 120)}`;
  const startUsage = countsProblem(message.usage, USAGE);
  if (startUsage !== undefined) return `message_start ${startUsage}`;
  const errors = events.filter((e) => e.event === 'error');
  const last = events[events.length - 1] as NamedEvent;
  if (errors.length > 0) {
    if (errors.length !== 1 || errors[0] !== last) return `${errors.length} error events, last ${String(last.event)}`;
    if (events.some((e) => e.event === 'message_stop')) return 'message_stop and an error event';
    return errorProblem(last.data);
  }
  if (last.event !== 'message_stop') return `a stream ending with ${String(last.event)}, neither message_stop nor an error event`;
  const order = orderProblem(events);
  if (order !== undefined) return order;
  const delta = events[events.length - 2]?.data as { delta?: { stop_reason?: unknown }; usage?: unknown };
  if (!STOP.includes(delta.delta?.stop_reason as string)) return `stop_reason ${JSON.stringify(delta.delta?.stop_reason)}`;
  return countsProblem(delta.usage, USAGE);
}

function told(usage: Record<string, unknown> | undefined): Served['usage'] {
  if (usage === undefined) return undefined;
  // Anthropic counts cache reads and writes apart from input_tokens; the ledger's prompt includes them.
  const prompt = [usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens].reduce((a: number, b) => a + Number(b), 0);
  return { prompt, completion: usage.output_tokens };
}

function served(body: string, stream: boolean): Served {
  try {
    if (!stream) return { served: true, usage: told((JSON.parse(body) as { usage?: Record<string, unknown> }).usage) };
    const events = namedEvents(body);
    if (typeof events === 'string' || events.at(-1)?.event !== 'message_stop') return { served: false, usage: undefined };
    return { served: true, usage: told(events.findLast((e) => e.event === 'message_delta')?.data.usage as Record<string, unknown> | undefined) };
  } catch {
    return { served: false, usage: undefined };
  }
}

export const MESSAGES_DOOR: ReplyDoor = {
  name: 'anthropic-messages',
  path: '/v1/messages',
  serverStatuses: [...UPSTREAM_STATUSES, 529],
  request: (model, stream, rich) => ({
    model,
    max_tokens: rich ? 2048 : 64,
    messages: [{ role: 'user', content: 'Hi' }],
    tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
    ...(rich ? { thinking: { type: 'enabled', budget_tokens: 1024 } } : {}),
    ...(stream ? { stream: true } : {}),
  }),
  errorProblem,
  answerProblem,
  streamProblem,
  served,
};
