import { openAIShapeProblem } from '../../ingress/testing/error-shapes.js';
import { countsProblem, errorTextProblem, UPSTREAM_STATUSES, namedEvents, type NamedEvent, type ReplyDoor, type Served } from './reply-door.js';

/**
 * The OpenAI Responses door in the upstream fuzz spec. An answer is a `response` object, completed or
 * incomplete, whose output items have unique ids (a function_call its call_id and name) and whose usage
 * counts are whole. A stream's events are named by their type and numbered 0, 1, 2… by
 * `sequence_number`; it opens with `response.created` and `response.in_progress` and ends with exactly
 * one terminal event, `response.completed`, `response.incomplete` or (right after the one `error`
 * event) `response.failed`, all of one response id. Output items stream one at a time: added at the
 * next output index, every event of an item naming its id and index, closed by `output_item.done`
 * before the next is added; a text's `.done` holds its deltas; the terminal response lists the items
 * streamed, in order.
 */

const USAGE = ['input_tokens', 'output_tokens', 'total_tokens'];
const TERMINAL = ['response.completed', 'response.incomplete', 'response.failed'];
/** The kind of item each item event belongs to. */
const ITEM_OF: ReadonlyArray<[string, string]> = [
  ['response.output_text.', 'message'],
  ['response.refusal.', 'message'],
  ['response.content_part.', 'message'],
  ['response.function_call_arguments.', 'function_call'],
  ['response.reasoning_summary_', 'reasoning'],
];

function errorProblem(json: unknown): string | undefined {
  return openAIShapeProblem(json) ?? errorTextProblem(json);
}

/** What is wrong with an output item, or undefined. */
function itemProblem(item: Record<string, unknown>): string | undefined {
  if (typeof item.id !== 'string' || item.id === '') return `an item without id: ${JSON.stringify(item).slice(0, 120)}`;
  if (item.type === 'function_call') {
    if (typeof item.call_id !== 'string' || item.call_id === '' || typeof item.name !== 'string' || item.name === '') return `a function_call without call_id or name: ${JSON.stringify(item).slice(0, 160)}`;
    if (typeof item.arguments !== 'string') return 'a function_call without arguments';
    return undefined;
  }
  if (item.type === 'message') {
    if (!Array.isArray(item.content)) return 'a message without content';
    for (const part of item.content as Array<Record<string, unknown>>) {
      if (part.type === 'output_text' ? typeof part.text !== 'string' : part.type !== 'refusal' || typeof part.refusal !== 'string') return `a content part ${JSON.stringify(part).slice(0, 120)}`;
    }
    return undefined;
  }
  return item.type === 'reasoning' ? undefined : `an item of type ${JSON.stringify(item.type)}`;
}

/** What is wrong with a finished response object (the answer, or a terminal event's), or undefined. */
function responseProblem(response: Record<string, unknown>, status: readonly string[]): string | undefined {
  if (response.object !== 'response') return `object ${JSON.stringify(response.object)}`;
  if (!status.includes(response.status as string)) return `status ${JSON.stringify(response.status)}`;
  if ((response.status === 'incomplete') !== (response.incomplete_details !== null)) return `incomplete_details ${JSON.stringify(response.incomplete_details)} with status ${String(response.status)}`;
  const output = response.output as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(output)) return 'a response without output';
  const ids = new Set<unknown>();
  for (const item of output) {
    const problem = itemProblem(item);
    if (problem !== undefined) return problem;
    if (ids.has(item.id)) return `item id ${String(item.id)} twice`;
    ids.add(item.id);
  }
  return undefined;
}

function answerProblem(answer: Record<string, unknown>): string | undefined {
  return responseProblem(answer, ['completed', 'incomplete']) ?? (answer.usage == null ? 'an answer without usage' : countsProblem(answer.usage, USAGE));
}

/** What is wrong with the items streamed (one at a time, ids and indexes consistent, texts whole), or undefined. */
function itemsProblem(events: readonly NamedEvent[], terminal: Record<string, unknown>): string | undefined {
  const added: string[] = [];
  const done: unknown[] = [];
  let open: { id: string; index: number; type: unknown; parts: number; part: boolean } | undefined;
  const texts = new Map<string, string>();
  for (const { data } of events) {
    const type = data.type as string;
    if (type === 'response.output_item.added') {
      const item = data.item as Record<string, unknown>;
      if (open !== undefined) return `item ${added.length} added while item ${open.index} is open`;
      if (data.output_index !== added.length) return `item added at output_index ${JSON.stringify(data.output_index)}, not ${added.length}`;
      const problem = itemProblem(item);
      if (problem !== undefined) return problem;
      if (added.includes(item.id as string)) return `item id ${String(item.id)} added twice`;
      added.push(item.id as string);
      open = { id: item.id as string, index: added.length - 1, type: item.type, parts: 0, part: false };
      continue;
    }
    if (type === 'response.output_item.done') {
      const item = data.item as Record<string, unknown>;
      if (open === undefined || item.id !== open.id || data.output_index !== open.index) return `output_item.done of ${String(item.id)} at ${JSON.stringify(data.output_index)}, open: ${JSON.stringify(open)}`;
      if (open.part) return `item ${open.index} done with content part ${open.parts - 1} open`;
      done.push(item);
      open = undefined;
      continue;
    }
    if (data.item_id === undefined && data.output_index === undefined) continue;
    if (open === undefined || data.item_id !== open.id || data.output_index !== open.index) return `${type} of ${String(data.item_id)} at ${JSON.stringify(data.output_index)}, open: ${JSON.stringify(open)}`;
    const kind = ITEM_OF.find(([prefix]) => type.startsWith(prefix))?.[1];
    if (kind !== open.type) return `${type} in a ${String(open.type)} item`;
    if (kind === 'message') {
      // Content parts one at a time: added at the next content_index, their deltas and .done naming it.
      if (type === 'response.content_part.added') {
        if (open.part || data.content_index !== open.parts) return `content part added at ${JSON.stringify(data.content_index)}, ${open.parts} before${open.part ? ', one open' : ''}`;
        open.part = true;
        open.parts += 1;
      } else if (!open.part || data.content_index !== open.parts - 1) return `${type} at content_index ${JSON.stringify(data.content_index)}, open part: ${open.part ? open.parts - 1 : 'none'}`;
      if (type === 'response.content_part.done') open.part = false;
    }
    const key = `${open.id}/${String(data.content_index ?? data.summary_index)}`;
    if (type.endsWith('.delta') && typeof data.delta === 'string') texts.set(key, (texts.get(key) ?? '') + data.delta);
    const whole = type === 'response.output_text.done' ? data.text : type === 'response.refusal.done' ? data.refusal : type === 'response.function_call_arguments.done' ? data.arguments : undefined;
    if (whole !== undefined && whole !== (texts.get(key) ?? '')) return `${type} ${JSON.stringify(whole).slice(0, 60)} is not its deltas ${JSON.stringify(texts.get(key) ?? '').slice(0, 60)}`;
  }
  const failed = terminal.status === 'failed';
  if (open !== undefined && !failed) return `item ${open.index} still open at the end`;
  const output = (terminal.output as Array<{ id: string }> | undefined) ?? [];
  const listed = output.map((i) => i.id);
  if (listed.join() !== added.join()) return `the response lists items ${JSON.stringify(listed)}, the stream added ${JSON.stringify(added)}`;
  for (const [i, item] of done.entries()) if (JSON.stringify(item) !== JSON.stringify(output[i])) return `item ${i} done as ${JSON.stringify(item).slice(0, 160)}, listed as ${JSON.stringify(output[i]).slice(0, 160)}`;
  return undefined;
}

function streamProblem(text: string): string | undefined {
  const events = namedEvents(text);
  if (typeof events === 'string') return events;
  if (events.length === 0) return 'an empty stream';
  for (const [i, { data }] of events.entries()) if (data.sequence_number !== i) return `event ${i} (${String(data.type)}) has sequence_number ${JSON.stringify(data.sequence_number)}`;
  if (events[0]?.event !== 'response.created' || events[1]?.event !== 'response.in_progress') return `begins ${JSON.stringify(events.slice(0, 2).map((e) => e.event))}`;
  const terminals = events.filter((e) => TERMINAL.includes(e.event as string));
  const last = events[events.length - 1] as NamedEvent;
  if (terminals.length !== 1 || terminals[0] !== last) return `terminal events ${JSON.stringify(terminals.map((e) => e.event))}, last ${String(last.event)}`;
  const ids = new Set(events.filter((e) => e.event === 'response.created' || e.event === 'response.in_progress' || e === last).map((e) => (e.data.response as { id?: unknown } | undefined)?.id));
  if (ids.size !== 1) return `response ids ${JSON.stringify([...ids])}`;
  const errors = events.filter((e) => e.event === 'error');
  const response = last.data.response as Record<string, unknown>;
  if (last.event === 'response.failed') {
    if (errors.length !== 1 || errors[0] !== events[events.length - 2]) return `${errors.length} error events, not one before response.failed`;
    const error = (errors[0] as NamedEvent).data;
    if (Object.keys(error).sort().join() !== 'code,error,message,param,sequence_number,type' || typeof error.code !== 'string' || typeof error.message !== 'string') return `error event ${JSON.stringify(error).slice(0, 160)}`;
    const nested = error.error as Record<string, unknown> | null;
    if (nested?.code !== error.code || nested.message !== error.message || nested.param !== error.param || typeof nested.type !== 'string') return `error event's nested error ${JSON.stringify(nested).slice(0, 160)}`;
    const failure = response.error as Record<string, unknown> | null;
    if (response.status !== 'failed' || typeof failure?.code !== 'string' || typeof failure.message !== 'string') return `response.failed with status ${String(response.status)} and error ${JSON.stringify(failure)}`;
    return errorTextProblem(error) ?? errorTextProblem(failure) ?? itemsProblem(events, response);
  }
  if (errors.length > 0) return `an error event and ${String(last.event)}`;
  const status = last.event === 'response.completed' ? 'completed' : 'incomplete';
  return responseProblem(response, [status]) ?? itemsProblem(events, response) ?? countsProblem(response.usage, USAGE);
}

function told(usage: Record<string, unknown> | null | undefined): Served['usage'] {
  return usage == null ? undefined : { prompt: usage.input_tokens, completion: usage.output_tokens, total: usage.total_tokens };
}

function served(body: string, stream: boolean): Served {
  try {
    if (!stream) return { served: true, usage: told((JSON.parse(body) as { usage?: Record<string, unknown> | null }).usage) };
    const events = namedEvents(body);
    const last = typeof events === 'string' ? undefined : events.at(-1);
    if (last?.event !== 'response.completed' && last?.event !== 'response.incomplete') return { served: false, usage: undefined };
    return { served: true, usage: told((last.data.response as { usage?: Record<string, unknown> | null }).usage) };
  } catch {
    return { served: false, usage: undefined };
  }
}

export const RESPONSES_DOOR: ReplyDoor = {
  name: 'openai-responses',
  path: '/v1/responses',
  serverStatuses: UPSTREAM_STATUSES,
  request: (model, stream, rich) => ({
    model,
    input: 'Hi',
    tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' } }],
    ...(rich ? { include: ['reasoning.encrypted_content'], store: false } : {}),
    ...(stream ? { stream: true } : {}),
  }),
  errorProblem,
  answerProblem,
  streamProblem,
  served,
};
