import type { FinishReason, ReasoningPart } from '../../core/types.js';
import { sealReasoning } from './reasoning.js';
import { inProgressObject, outputRefusal, outputText, reasoningItem, responseObject, statusOf, type FunctionCallItem, type MessageItem, type OutputItem, type ReasoningItem, type ReasoningShown, type ResponseFrame, type ResponseIds } from './encode.js';

/** The kind of a message's content part: its text or a refusal. */
type PartKind = 'output_text' | 'refusal';

/**
 * The item being streamed: its output index and what it has accumulated so far; for a message, the
 * content part being streamed (its kind, index and text so far) while the finished ones are in the item.
 */
type Open =
  | { kind: 'message'; index: number; item: MessageItem; part: PartKind; contentIndex: number; text: string }
  | { kind: 'reasoning'; index: number; item: ReasoningItem; text: string; sealed: boolean; provider: string | undefined }
  | { kind: 'call'; index: number; item: FunctionCallItem; callIndex: number };

/** What a request that asks for nothing sees of reasoning, as on the API: no encrypted content, no summaries. */
const NOTHING_SHOWN: ReasoningShown = { encrypted: false, summaries: false };

/**
 * Writes the typed events of a Responses stream in the order OpenAI sends them: one output item at a
 * time, each opened (`output_item.added`, its part added), filled by deltas and closed (`.done` events,
 * `output_item.done`) before the next starts. Every event carries its `type` and `sequence_number`.
 * A reasoning item streams its summary only when the request asked for summaries; otherwise, as the API
 * sends it, it is added and done with `summary: []` and nothing between.
 */
export class ResponseEvents {
  readonly output: OutputItem[] = [];
  private seq = 0;
  private open: Open | undefined;
  private out = '';
  /** Signatures of a part not begun yet. */
  private readonly unplaced: ReasoningPart[] = [];
  /** Signatures of the open message's text, written after it. */
  private readonly trailing: ReasoningPart[] = [];

  constructor(
    private readonly frame: ResponseFrame,
    private readonly ids: ResponseIds,
    /** What the client asked to see of reasoning (`include`, `reasoning.summary`). */
    private readonly shown: ReasoningShown = NOTHING_SHOWN,
  ) {}

  /** `response.created` and `response.in_progress`. */
  start(): void {
    const response = inProgressObject(this.frame);
    this.emit('response.created', { response });
    this.emit('response.in_progress', { response });
  }

  text(delta: string): void {
    const o = this.messagePart('output_text');
    // Signatures waiting for this text sign the message: written after it.
    for (const part of this.unplaced) this.trailing.push(part);
    this.unplaced.length = 0;
    o.text += delta;
    this.emit('response.output_text.delta', { item_id: o.item.id, output_index: o.index, content_index: o.contentIndex, delta, logprobs: [] });
  }

  /** Words of a refusal: a `refusal` content part of the open message (after its text), or of a new one. */
  refusal(delta: string): void {
    this.placeSignatures();
    const o = this.messagePart('refusal');
    o.text += delta;
    this.emit('response.refusal.delta', { item_id: o.item.id, output_index: o.index, content_index: o.contentIndex, delta });
  }

  /**
   * Reasoning text: a summary delta of the open reasoning item (when summaries are shown), or of a new one
   * once the open one is sealed. `provider`: whose reasoning it is, sealed with text no signature follows.
   */
  reasoning(delta: string, provider?: string): void {
    this.placeSignatures();
    const o = this.open?.kind === 'reasoning' && !this.open.sealed ? this.open : this.openReasoning();
    o.text += delta;
    o.provider ??= provider;
    if (this.shown.summaries) this.emit('response.reasoning_summary_text.delta', { item_id: o.item.id, output_index: o.index, summary_index: 0, delta });
  }

  /**
   * A signature. It seals the open reasoning item, which is then complete (and carries the sealed
   * signature when the client asked for encrypted content). Without one, it is a signature of what comes
   * next (Gemini signs the answer's text or a call; Claude's thinking with its text omitted comes as one):
   * it waits for that part, and one of text is written after the message, as the whole answer writes it
   * (see `outputItems`), never in the middle of it. Either way it is an item, as on the API: the
   * client's `include` decides whether it carries encrypted content, not whether it is there.
   */
  signature(signature: string, provider: string | undefined): void {
    const open = this.open;
    if (open?.kind === 'reasoning' && !open.sealed) {
      open.sealed = true;
      const signed: ReasoningPart = { type: 'reasoning', text: open.text, signature, provider };
      if (this.shown.encrypted) open.item.encrypted_content = sealReasoning(signed, false, !this.shown.summaries) as string;
    } else {
      this.unplaced.push({ type: 'reasoning', text: '', signature, provider });
    }
  }

  /**
   * Reasoning with nothing to show (redacted reasoning): a whole reasoning item with `summary: []`, and its
   * encrypted content when the client asked for it.
   */
  opaqueReasoning(encrypted: string | undefined): void {
    this.placeSignatures();
    this.close('completed');
    this.wholeReasoningItem(encrypted);
  }

  /** A tool-call part: a new call index opens a function_call item, later parts add to its arguments. */
  toolCall(callIndex: number, id: string | undefined, name: string | undefined, delta: string): void {
    let o = this.open;
    if (o?.kind !== 'call' || o.callIndex !== callIndex) {
      this.placeSignatures();
      this.close('completed');
      const item: FunctionCallItem = { id: this.ids.next('fc'), type: 'function_call', status: 'in_progress', call_id: id ?? '', name: name ?? '', arguments: '' };
      o = { kind: 'call', index: this.output.length, item, callIndex };
      this.open = o;
      this.output.push(item);
      this.emit('response.output_item.added', { output_index: o.index, item: { ...item } });
    }
    if (delta === '') return;
    o.item.arguments += delta;
    this.emit('response.function_call_arguments.delta', { item_id: o.item.id, output_index: o.index, delta });
  }

  /** Closes the open item and ends with `response.completed` (or `response.incomplete`) carrying everything; returns that response. */
  finish(finish: FinishReason | undefined, usage: Record<string, unknown> | null): Record<string, unknown> {
    const state = statusOf(finish);
    this.placeSignatures();
    // An answer without text or calls still has its (empty) message, as the whole answer has (outputItems).
    if (!this.output.some((item) => item.type !== 'reasoning')) this.openMessage();
    this.close(state.status === 'incomplete' ? 'incomplete' : 'completed');
    const response = responseObject(this.frame, state, this.output, usage);
    this.emit(state.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
    return response;
  }

  /**
   * A stream that broke after `response.created` promised a response: the `error` event (the SDKs raise
   * it), then the lifecycle's own end, `response.failed`, with what was streamed so far (the open item
   * cut short: incomplete, and given no `.done` events, as OpenAI's API gives none to the item a failure
   * cuts). Strict consumers wait for a terminal `response.*` event. The error event carries its fields
   * twice: flat, as the API reference documents them, and nested under `error` with its `type`, as the
   * live API sends them (captured by SDK and client authors: openai-dotnet#881, vercel/ai#20022,
   * Effect-TS#7262), which is what makes the official SDKs raise an APIError rather than yield the event.
   * Returns the failed response, as `response.failed` carries it.
   */
  fail(error: { type: string; code: string; message: string; param: string | null }, failure: { code: string; message: string }): Record<string, unknown> {
    this.emit('error', { code: error.code, message: error.message, param: error.param, error });
    const o = this.open;
    this.open = undefined;
    if (o?.kind === 'message') {
      o.item.content.push(contentPart(o));
      o.item.status = 'incomplete';
    } else if (o?.kind === 'reasoning') {
      o.item.summary = o.text === '' || !this.shown.summaries ? [] : [{ type: 'summary_text', text: o.text }];
      this.sealUnsigned(o);
    } else if (o) o.item.status = 'incomplete';
    const response = responseObject(this.frame, { status: 'failed', incomplete_details: null, error: failure }, this.output, null);
    this.emit('response.failed', { response });
    return response;
  }

  /** The frames written since the last call. */
  take(): string {
    const s = this.out;
    this.out = '';
    return s;
  }

  /** Signatures that no text followed: whole items before what comes next, which they sign. */
  private placeSignatures(): void {
    if (this.unplaced.length === 0) return;
    this.close('completed');
    for (const part of this.unplaced) this.wholeReasoningItem(this.sealed(part, false));
    this.unplaced.length = 0;
  }

  /**
   * Reasoning that no signature sealed (an upstream that signs none) ends with its text as its encrypted
   * content when the client asked for it, as the whole answer's item carries it (`outputItems`).
   */
  private sealUnsigned(o: Extract<Open, { kind: 'reasoning' }>): void {
    if (o.sealed || !this.shown.encrypted) return;
    const encrypted = sealReasoning({ type: 'reasoning', text: o.text, provider: o.provider });
    if (encrypted !== undefined) o.item.encrypted_content = encrypted;
  }

  /** A signature-only part's encrypted content, when the client asked for it. */
  private sealed(part: ReasoningPart, ofMessageBefore: boolean): string | undefined {
    return this.shown.encrypted ? sealReasoning(part, ofMessageBefore) : undefined;
  }

  private wholeReasoningItem(encrypted: string | undefined): void {
    const index = this.output.length;
    const item = reasoningItem(this.ids.next('rs'), '', encrypted);
    this.output.push(item);
    this.emit('response.output_item.added', { output_index: index, item });
    this.emit('response.output_item.done', { output_index: index, item });
  }

  /** The open message's content part of `kind`: the one being streamed, the next part of the open message, or a new message's first. */
  private messagePart(kind: PartKind): Extract<Open, { kind: 'message' }> {
    const o = this.open;
    if (o?.kind !== 'message') return this.openMessage(kind);
    if (o.part === kind) return o;
    this.endPart(o);
    o.part = kind;
    o.contentIndex += 1;
    o.text = '';
    this.emit('response.content_part.added', { item_id: o.item.id, output_index: o.index, content_index: o.contentIndex, part: contentPart(o) });
    return o;
  }

  private openMessage(kind: PartKind = 'output_text'): Extract<Open, { kind: 'message' }> {
    this.close('completed');
    const item: MessageItem = { id: this.ids.next('msg'), type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    const o = { kind: 'message' as const, index: this.output.length, item, part: kind, contentIndex: 0, text: '' };
    this.open = o;
    this.output.push(item);
    this.emit('response.output_item.added', { output_index: o.index, item: { ...item, content: [] } });
    this.emit('response.content_part.added', { item_id: item.id, output_index: o.index, content_index: 0, part: contentPart(o) });
    return o;
  }

  /** Ends the message's content part being streamed: its `.done` events, and the part joins the item's content. */
  private endPart(o: Extract<Open, { kind: 'message' }>): void {
    const id = o.item.id;
    const part = contentPart(o);
    if (o.part === 'output_text') this.emit('response.output_text.done', { item_id: id, output_index: o.index, content_index: o.contentIndex, text: o.text, logprobs: [] });
    else this.emit('response.refusal.done', { item_id: id, output_index: o.index, content_index: o.contentIndex, refusal: o.text });
    this.emit('response.content_part.done', { item_id: id, output_index: o.index, content_index: o.contentIndex, part });
    o.item.content.push(part);
  }

  private openReasoning(): Extract<Open, { kind: 'reasoning' }> {
    this.close('completed');
    const item: ReasoningItem = { id: this.ids.next('rs'), type: 'reasoning', summary: [] };
    const o = { kind: 'reasoning' as const, index: this.output.length, item, text: '', sealed: false, provider: undefined as string | undefined };
    this.open = o;
    this.output.push(item);
    this.emit('response.output_item.added', { output_index: o.index, item: { ...item, summary: [] } });
    if (this.shown.summaries) this.emit('response.reasoning_summary_part.added', { item_id: item.id, output_index: o.index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    return o;
  }

  /** The reasoning item's summary part ends: its `.done` events, and the part joins the item. */
  private endSummary(o: Extract<Open, { kind: 'reasoning' }>): void {
    const part = { type: 'summary_text' as const, text: o.text };
    this.emit('response.reasoning_summary_text.done', { item_id: o.item.id, output_index: o.index, summary_index: 0, text: o.text });
    this.emit('response.reasoning_summary_part.done', { item_id: o.item.id, output_index: o.index, summary_index: 0, part });
    o.item.summary = [part];
  }

  private close(status: 'completed' | 'incomplete'): void {
    const o = this.open;
    if (!o) return;
    this.open = undefined;
    const id = o.item.id;
    if (o.kind === 'message') {
      this.endPart(o);
      o.item.status = status;
    } else if (o.kind === 'reasoning') {
      if (this.shown.summaries) this.endSummary(o);
      this.sealUnsigned(o);
    } else {
      this.emit('response.function_call_arguments.done', { item_id: id, output_index: o.index, name: o.item.name, arguments: o.item.arguments });
      o.item.status = status;
    }
    this.emit('response.output_item.done', { output_index: o.index, item: o.item });
    // Only a message has trailing signatures (of its text).
    for (const signed of this.trailing) this.wholeReasoningItem(this.sealed(signed, true));
    this.trailing.length = 0;
  }

  private emit(type: string, fields: Record<string, unknown>): void {
    const data = JSON.stringify({ type, sequence_number: this.seq, ...fields });
    this.seq += 1;
    this.out += `event: ${type}\ndata: ${data}\n\n`;
  }
}

/** The message's content part being streamed, as far as it has come. */
function contentPart(o: Extract<Open, { kind: 'message' }>): MessageItem['content'][number] {
  return o.part === 'output_text' ? outputText(o.text) : outputRefusal(o.text);
}
