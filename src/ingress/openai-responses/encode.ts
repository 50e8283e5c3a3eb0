import type { AssistantPart, ChatResponse, FinishReason, ReasoningPart, RedactedReasoningPart, Usage } from '../../core/types.js';
import type { Echo } from './decode.js';
import { isSignatureOnly, sealReasoning } from './reasoning.js';

/** Output items as the Responses API words them. */
export interface MessageItem {
  id: string;
  type: 'message';
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant';
  content: Array<OutputText | OutputRefusal>;
}
export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}
/** What the model said instead of an answer when it declined. */
export interface OutputRefusal {
  type: 'refusal';
  refusal: string;
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
  /** Only when the request's `include` asks for it. */
  encrypted_content?: string;
}
export type OutputItem = MessageItem | FunctionCallItem | ReasoningItem;

/** What a request asked to see of the model's reasoning. */
export interface ReasoningShown {
  /** `include: ["reasoning.encrypted_content"]`: items carry their sealed signature. */
  encrypted: boolean;
  /**
   * `reasoning.summary` was set: items show the reasoning text as their summary. Without it the API
   * sends reasoning items with `summary: []` and no summary events; the text is opt-in.
   */
  summaries: boolean;
}

/** The ids of one response and its items, all derived from our request id (no client input). */
export class ResponseIds {
  readonly response: string;
  private readonly base: string;
  private n = 0;

  constructor(requestId: string) {
    this.base = requestId.replace(/-/g, '');
    this.response = `resp_${this.base}`;
  }

  next(prefix: 'msg' | 'fc' | 'fco' | 'rs'): string {
    this.n += 1;
    return `${prefix}_${this.base}${this.n.toString(16).padStart(2, '0')}`;
  }
}

export const outputText = (text: string): OutputText => ({ type: 'output_text', text, annotations: [], logprobs: [] });
export const outputRefusal = (refusal: string): OutputRefusal => ({ type: 'refusal', refusal });

/** The Responses usage object, with the gateway's cost extension when there is one. */
export function encodeResponsesUsage(u: Usage, extra?: Record<string, unknown>): Record<string, unknown> {
  const usage: Record<string, unknown> = {
    input_tokens: u.prompt,
    input_tokens_details: { cached_tokens: u.cachedRead, cache_write_tokens: u.cachedWrite },
    output_tokens: u.completion,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.total,
  };
  return extra ? Object.assign(usage, extra) : usage;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

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

/**
 * A Response object, every key OpenAI always sends in its order; `usage` null while a stream is in
 * progress, `completed_at` null until the response completed. The service tier an upstream served with
 * is unknown to the gateway: null.
 */
export function responseObject(
  f: ResponseFrame,
  state: { status: ResponseStatus; incomplete_details: { reason: string } | null; error?: { code: string; message: string } },
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
    completed_at: state.status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    error: state.error ?? null,
    incomplete_details: state.incomplete_details,
    instructions: e.instructions,
    max_output_tokens: e.max_output_tokens,
    model: f.model,
    output,
    parallel_tool_calls: e.parallel_tool_calls,
    previous_response_id: e.previous_response_id,
    reasoning: e.reasoning,
    service_tier: null,
    store: f.stored,
    temperature: e.temperature,
    text: e.text,
    tool_choice: e.tool_choice,
    tools: e.tools,
    // The door refuses top_logprobs: OpenAI's default.
    top_logprobs: 0,
    top_p: e.top_p,
    truncation: 'disabled',
    usage,
    user: e.user,
    metadata: e.metadata ?? {},
  };
}

/** A Response object under way, as `response.created` carries it: no output, usage or completion yet. */
export function inProgressObject(f: ResponseFrame): Record<string, unknown> {
  return responseObject(f, { status: 'in_progress', incomplete_details: null }, [], null);
}


/** A reasoning item; `encrypted` (the sealed signature or redacted data) only when the client asked for it. */
export function reasoningItem(id: string, text: string, encrypted: string | undefined): ReasoningItem {
  const item: ReasoningItem = { id, type: 'reasoning', summary: text === '' ? [] : [{ type: 'summary_text', text }] };
  if (encrypted !== undefined) item.encrypted_content = encrypted;
  return item;
}

/**
 * A canonical answer's output items, in the order of its parts: a reasoning item per reasoning part
 * (its text as the summary only when asked for, its signature or redacted data as encrypted content only
 * when asked for: as on the API, `include` adds a field, never an item, so reasoning with nothing to show
 * is an item with `summary: []`), one message per run of text, a function_call per tool call. A
 * signature of the text after it (Gemini signs the answer's text) is written after that message, as a
 * stream must write it, so the two agree. A refusal is a `refusal` part of the last
 * message (after its text), as a stream writes it. An answer without text, calls or a refusal still has
 * its (empty) message, as OpenAI's has.
 */
export function outputItems(res: ChatResponse, ids: ResponseIds, shown: ReasoningShown): OutputItem[] {
  const done = statusOf(res.finishReason).status === 'incomplete' ? 'incomplete' : 'completed';
  const out: OutputItem[] = [];
  const newMessage = (): MessageItem => ({ id: ids.next('msg'), type: 'message', status: done, role: 'assistant', content: [outputText('')] });
  let message: MessageItem | undefined;
  /** Signatures of the open message's text (sealed when asked for), written when it ends. */
  let trailing: Array<string | undefined> = [];
  const endMessage = (): void => {
    message = undefined;
    for (const sealed of trailing) out.push(reasoningItem(ids.next('rs'), '', sealed));
    trailing = [];
  };
  const content = res.content;
  for (let i = 0; i < content.length; i++) {
    const part = content[i] as AssistantPart;
    switch (part.type) {
      case 'text':
        if (part.text === '') continue;
        if (!message) out.push((message = newMessage()));
        (message.content[0] as OutputText).text += part.text;
        continue;
      case 'reasoning':
      case 'redacted-reasoning': {
        if (!makesItem(part)) continue;
        const signsText = isSignatureOnly(part) && startsText(content[i + 1]);
        const text = part.type === 'reasoning' ? part.text : '';
        // Sealed only when asked for: sealing copies the whole thinking text.
        const encrypted = shown.encrypted ? sealReasoning(part, signsText, !shown.summaries) : undefined;
        if (signsText) {
          trailing.push(encrypted);
          continue;
        }
        endMessage();
        out.push(reasoningItem(ids.next('rs'), shown.summaries ? text : '', encrypted));
        continue;
      }
      case 'tool-call':
        endMessage();
        out.push({ id: ids.next('fc'), type: 'function_call', status: done, call_id: part.id, name: part.name, arguments: part.arguments });
        continue;
    }
  }
  if (res.refusal !== undefined) {
    if (message) message.content.push(outputRefusal(res.refusal));
    else out.push({ id: ids.next('msg'), type: 'message', status: done, role: 'assistant', content: [outputRefusal(res.refusal)] });
  }
  endMessage();
  if (!out.some((item) => item.type !== 'reasoning')) out.push(newMessage());
  return out;
}

const startsText = (part: AssistantPart | undefined): boolean => part?.type === 'text' && part.text !== '';

/** Only reasoning with neither text nor a signature (or data) is no item: there was nothing. */
function makesItem(part: ReasoningPart | RedactedReasoningPart): boolean {
  return part.type === 'reasoning' ? part.signature !== undefined || part.text !== '' : part.data !== undefined;
}

/**
 * The `encrypted_content` of each reasoning item `outputItems` writes for an answer's parts, in item
 * order (a signature written after its message moves past text only, never past another reasoning
 * item), the reasoning text sealed in: for an item of a stored response referenced by id whose Response
 * kept no encrypted content (it was not asked for).
 */
export function sealedReasoning(content: readonly AssistantPart[]): string[] {
  const sealed: string[] = [];
  content.forEach((part, i) => {
    if ((part.type !== 'reasoning' && part.type !== 'redacted-reasoning') || !makesItem(part)) return;
    const encrypted = sealReasoning(part, isSignatureOnly(part) && startsText(content[i + 1]), true);
    if (encrypted !== undefined) sealed.push(encrypted);
  });
  return sealed;
}
