import { openAIShapeProblem } from '../../ingress/testing/error-shapes.js';
import { countsProblem, errorTextProblem, UPSTREAM_STATUSES, type ReplyDoor, type Served } from './reply-door.js';

/**
 * The OpenAI chat-completions door in the upstream fuzz spec: an answer has one choice with a known
 * finish reason, and tool calls with id, name and arguments; a stream (asked with `include_usage`) ends
 * with `[DONE]` after exactly one finish and one usage chunk, last, with no content after the finish and
 * no tool call begun without its id and name, or with an error event in the door's shape and no `[DONE]`.
 */

const FINISH = ['stop', 'length', 'tool_calls', 'content_filter'];
const USAGE = ['prompt_tokens', 'completion_tokens', 'total_tokens'];

function errorProblem(json: unknown): string | undefined {
  return openAIShapeProblem(json) ?? errorTextProblem(json);
}

function answerProblem(answer: Record<string, unknown>): string | undefined {
  const choice = (answer.choices as Array<Record<string, unknown>> | undefined)?.[0];
  if (choice === undefined) return 'an answer without a choice';
  if (!FINISH.includes(choice.finish_reason as string)) return `finish_reason ${JSON.stringify(choice.finish_reason)}`;
  const message = choice.message as Record<string, unknown>;
  if (message.content !== null && typeof message.content !== 'string') return 'content neither text nor null';
  const calls = (message.tool_calls as Array<{ id: unknown; function: Record<string, unknown> }> | undefined) ?? [];
  if (choice.finish_reason === 'tool_calls' && calls.length === 0) return `finish_reason ${String(choice.finish_reason)} with ${calls.length} tool call(s)`;
  for (const call of calls) {
    if (typeof call.id !== 'string' || call.id === '' || typeof call.function.name !== 'string' || typeof call.function.arguments !== 'string') return 'a tool call without id, name or arguments';
  }
  return answer.usage === undefined ? 'an answer without usage' : countsProblem(answer.usage, USAGE);
}

/** The JSON chunks before `[DONE]` (and whether it came), or what is wrong with the frames. */
function chunksOf(text: string): { chunks: Array<Record<string, unknown>>; done: boolean } | string {
  const data = text
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => f.slice(6));
  const done = data.indexOf('[DONE]');
  if (done !== -1 && done !== data.length - 1) return 'frames after [DONE]';
  const chunks: Array<Record<string, unknown>> = [];
  for (const d of data.slice(0, done === -1 ? data.length : done)) {
    try {
      chunks.push(JSON.parse(d) as Record<string, unknown>);
    } catch {
      return `a frame that is not JSON: ${d.slice(0, 80)}`;
    }
  }
  return { chunks, done: done !== -1 };
}

function streamProblem(text: string): string | undefined {
  const read = chunksOf(text);
  if (typeof read === 'string') return read;
  const { chunks, done } = read;
  const last = chunks[chunks.length - 1];
  if (!done) {
    if (last === undefined) return 'an empty stream';
    return last.error === undefined ? 'a stream ending with neither [DONE] nor an error event' : errorProblem(last);
  }
  if (chunks.some((c) => c.error !== undefined)) return 'an error event and [DONE]';
  const usage = chunks.filter((c) => Array.isArray(c.choices) && c.choices.length === 0 && c.usage !== null && c.usage !== undefined);
  if (usage.length !== 1 || usage[0] !== chunks[chunks.length - 1]) return `${usage.length} usage chunks, not one last`;
  const finishes = chunks.flatMap((c) => ((c.choices as Array<Record<string, unknown>> | undefined) ?? []).map((ch) => ch.finish_reason).filter((f) => f !== null && f !== undefined));
  if (finishes.length !== 1 || !FINISH.includes(finishes[0] as string)) return `finish reasons ${JSON.stringify(finishes)}`;
  const named = new Set<number>();
  for (const c of chunks) {
    for (const call of ((c.choices as Array<{ delta: { tool_calls?: Array<{ index: number; id?: string; function?: { name?: string } }> } }> | undefined) ?? []).flatMap((ch) => ch.delta.tool_calls ?? [])) {
      if (!named.has(call.index) && (typeof call.id !== 'string' || typeof call.function?.name !== 'string')) return `tool call ${call.index} begun without its id and name`;
      named.add(call.index);
    }
  }
  if (finishes[0] === 'tool_calls' && named.size === 0) return `finish_reason ${String(finishes[0])} after ${named.size} tool call(s)`;
  const finished = chunks.findIndex((c) => (c.choices as Array<Record<string, unknown>> | undefined)?.some((ch) => ch.finish_reason !== null && ch.finish_reason !== undefined));
  const late = chunks.slice(finished + 1).find((c) => (c.choices as Array<{ delta: Record<string, unknown> }>).some((ch) => ch.delta.content || ch.delta.tool_calls || ch.delta.refusal));
  if (late !== undefined) return `content after the finish: ${JSON.stringify(late).slice(0, 120)}`;
  return countsProblem(usage[0]?.usage, USAGE);
}

function told(usage: Record<string, unknown> | undefined): Served['usage'] {
  return usage === undefined ? undefined : { prompt: usage.prompt_tokens, completion: usage.completion_tokens, total: usage.total_tokens };
}

function served(body: string, stream: boolean): Served {
  try {
    if (!stream) return { served: true, usage: told((JSON.parse(body) as { usage?: Record<string, unknown> }).usage) };
    if (!body.includes('data: [DONE]')) return { served: false, usage: undefined };
    const last = body.split('\n\n').filter((f) => f.startsWith('data: {')).at(-1);
    return { served: true, usage: last === undefined ? undefined : told((JSON.parse(last.slice(6)) as { usage?: Record<string, unknown> }).usage) };
  } catch {
    return { served: false, usage: undefined };
  }
}

export const CHAT_DOOR: ReplyDoor = {
  name: 'openai-chat',
  path: '/v1/chat/completions',
  serverStatuses: UPSTREAM_STATUSES,
  request: (model, stream) => ({
    model,
    messages: [{ role: 'user', content: 'Hi' }],
    tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  }),
  errorProblem,
  answerProblem,
  streamProblem,
  served,
};
