import type { ChatResponse, StreamPart, ToolCall, Usage } from '../core/types.js';

/** A cached answer as the stream parts an upstream would have sent: start, reasoning, text, tool calls, finish, usage. */
export function answerParts(response: ChatResponse): StreamPart[] {
  const m = response.message;
  const parts: StreamPart[] = [{ type: 'start', id: response.id, model: response.model }];
  if (m.reasoning_content) parts.push({ type: 'reasoning', delta: m.reasoning_content });
  const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text).join('');
  if (text.length > 0) parts.push({ type: 'text', delta: text });
  m.tool_calls?.forEach((t, index) => parts.push({ type: 'tool-call', index, id: t.id, name: t.function.name, argumentsDelta: t.function.arguments }));
  parts.push({ type: 'finish', finishReason: response.finishReason }, { type: 'usage', usage: response.usage });
  return parts;
}

/** Replays parts as an async stream. */
export async function* replay(parts: readonly StreamPart[]): AsyncGenerator<StreamPart> {
  for (const p of parts) yield p;
}

/**
 * Relays a live stream while assembling its answer, and hands the answer to `complete` once the
 * stream has ended cleanly with a finish and a usage part; a broken or cancelled stream stores nothing.
 */
export function recording(parts: AsyncIterable<StreamPart>, complete: (response: ChatResponse) => void): AsyncIterableIterator<StreamPart> {
  const it = parts[Symbol.asyncIterator]();
  let id = '';
  let model = '';
  let text = '';
  let reasoning = '';
  const tools: ToolCall[] = [];
  let finish: ChatResponse['finishReason'] | undefined;
  let usage: Usage | undefined;
  const take = (p: StreamPart): void => {
    if (p.type === 'text') text += p.delta;
    else if (p.type === 'reasoning') reasoning += p.delta;
    else if (p.type === 'tool-call') {
      const t = (tools[p.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (p.id !== undefined) t.id = p.id;
      if (p.name !== undefined) t.function.name += p.name;
      t.function.arguments += p.argumentsDelta;
    } else if (p.type === 'finish') finish = p.finishReason;
    else if (p.type === 'usage') usage = p.usage;
    else if (p.type === 'start') {
      id = p.id ?? id;
      model = p.model ?? model;
    }
  };
  const self: AsyncIterableIterator<StreamPart> = {
    async next() {
      const r = await it.next();
      if (!r.done) take(r.value);
      else if (finish !== undefined && usage !== undefined) {
        const message: ChatResponse['message'] = { role: 'assistant', content: text.length > 0 || tools.length === 0 ? text : null };
        if (tools.length > 0) message.tool_calls = tools;
        if (reasoning.length > 0) message.reasoning_content = reasoning;
        complete({ id, model, created: Math.floor(Date.now() / 1000), message, finishReason: finish, usage });
      }
      return r;
    },
    return: (value?: unknown) => it.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]: () => self,
  };
  return self;
}
