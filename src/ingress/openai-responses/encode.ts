import type { AssistantMessage, ChatResponse, FinishReason, ToolCall, Usage } from '../../core/types.js';
import type { Echo } from './decode.js';

/** Output items as the Responses API words them. */
export interface MessageItem {
  id: string;
  type: 'message';
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant';
  content: Array<{ type: 'output_text'; text: string; annotations: never[]; logprobs: never[] }>;
}
export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string;
  name: string;
  arguments: string;
}
export interface ReasoningItem {
  id: string;
  type: 'reasoning';
  summary: Array<{ type: 'summary_text'; text: string }>;
}
export type OutputItem = MessageItem | FunctionCallItem | ReasoningItem;

/** The ids of one response and its items, all derived from our request id (no client input). */
export class ResponseIds {
  readonly response: string;
  private readonly base: string;
  private n = 0;

  constructor(requestId: string) {
    this.base = requestId.replace(/-/g, '');
    this.response = `resp_${this.base}`;
  }

  next(prefix: 'msg' | 'fc' | 'rs'): string {
    this.n += 1;
    return `${prefix}_${this.base}${this.n.toString(16).padStart(2, '0')}`;
  }
}

export const outputText = (text: string): MessageItem['content'][number] => ({ type: 'output_text', text, annotations: [], logprobs: [] });

/** The Responses usage object, with the gateway's cost extension when there is one. */
export function encodeResponsesUsage(u: Usage, extra?: Record<string, unknown>): Record<string, unknown> {
  const usage: Record<string, unknown> = {
    input_tokens: u.prompt,
    input_tokens_details: { cached_tokens: u.cachedRead },
    output_tokens: u.completion,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.total,
  };
  return extra ? Object.assign(usage, extra) : usage;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete';

const INCOMPLETE: Partial<Record<FinishReason, string>> = { length: 'max_output_tokens', content_filter: 'content_filter' };

export function statusOf(finish: FinishReason | undefined): { status: ResponseStatus; incomplete_details: { reason: string } | null } {
  const reason = finish === undefined ? undefined : INCOMPLETE[finish];
  return reason === undefined ? { status: 'completed', incomplete_details: null } : { status: 'incomplete', incomplete_details: { reason } };
}

/** What every Response object of one request shares: the request's echo and our ids. */
export interface ResponseFrame {
  id: string;
  createdAt: number;
  model: string;
  echo: Echo;
  stored: boolean;
}

/** A Response object; `usage` null while a stream is in progress. */
export function responseObject(
  f: ResponseFrame,
  state: { status: ResponseStatus; incomplete_details: { reason: string } | null },
  output: readonly OutputItem[],
  usage: Record<string, unknown> | null,
): Record<string, unknown> {
  const e = f.echo;
  return {
    id: f.id,
    object: 'response',
    created_at: f.createdAt,
    status: state.status,
    background: false,
    error: null,
    incomplete_details: state.incomplete_details,
    instructions: e.instructions,
    max_output_tokens: e.max_output_tokens,
    model: f.model,
    output,
    parallel_tool_calls: e.parallel_tool_calls,
    previous_response_id: e.previous_response_id,
    reasoning: e.reasoning,
    store: f.stored,
    temperature: e.temperature,
    text: e.text,
    tool_choice: e.tool_choice,
    tools: e.tools,
    top_p: e.top_p,
    truncation: 'disabled',
    usage,
    metadata: e.metadata ?? {},
  };
}

function reasoningText(m: AssistantMessage): string | undefined {
  return m.reasoning_content === undefined || m.reasoning_content === '' ? undefined : m.reasoning_content;
}

function messageText(m: AssistantMessage): string {
  if (m.content === null) return '';
  return typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('');
}

/** A canonical answer's output items: reasoning, then the message, then the function calls. */
export function outputItems(res: ChatResponse, ids: ResponseIds): OutputItem[] {
  const m = res.message;
  const done = res.finishReason === 'length' ? 'incomplete' : 'completed';
  const out: OutputItem[] = [];
  const reasoning = reasoningText(m);
  if (reasoning !== undefined) out.push({ id: ids.next('rs'), type: 'reasoning', summary: [{ type: 'summary_text', text: reasoning }] });
  const text = messageText(m);
  if (text !== '' || !m.tool_calls?.length) out.push({ id: ids.next('msg'), type: 'message', status: done, role: 'assistant', content: [outputText(text)] });
  for (const call of m.tool_calls ?? []) {
    out.push({ id: ids.next('fc'), type: 'function_call', status: done, call_id: call.id, name: call.function.name, arguments: call.function.arguments });
  }
  return out;
}

/** The assistant turn output items make, for a stored conversation. */
export function assistantTurn(output: readonly OutputItem[]): AssistantMessage {
  let text = '';
  const calls: ToolCall[] = [];
  for (const item of output) {
    if (item.type === 'message') for (const c of item.content) text += c.text;
    else if (item.type === 'function_call') calls.push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
  }
  const turn: AssistantMessage = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) turn.tool_calls = calls;
  return turn;
}
