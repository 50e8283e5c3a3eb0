import { GatewayError } from '../core/errors.js';
import { holdEnd, type ReadyIterator } from '../core/ready.js';
import type { AssistantPart, ChatResponse, JsonObject, ServedAs, StreamPart, ToolCallPart } from '../core/types.js';

/** The gateway's own per-delivery markers (a stream resume): about how an answer arrived, not what it says. */
const GATEWAY_NAMESPACE = 'switchyard';

/**
 * A cached answer as the stream parts an upstream would have sent: start, its content parts in order
 * (reasoning, redacted reasoning, text, tool calls), the refusal, provider metadata, finish, usage.
 */
export function answerParts(response: ChatResponse): StreamPart[] {
  const start: StreamPart = { type: 'start', id: response.id, model: response.model };
  if (response.warnings && response.warnings.length > 0) start.warnings = response.warnings;
  if (response.servedAs) start.servedAs = response.servedAs;
  const parts: StreamPart[] = [start];
  let toolIndex = 0;
  for (const p of response.content) {
    if (p.type === 'text') {
      if (p.text.length > 0) parts.push({ type: 'text', delta: p.text });
    } else if (p.type === 'reasoning') {
      const r: StreamPart = { type: 'reasoning', delta: p.text };
      if (p.signature !== undefined) r.signature = p.signature;
      if (p.provider !== undefined) r.provider = p.provider;
      parts.push(r);
    } else if (p.type === 'redacted-reasoning') {
      parts.push(p.provider === undefined ? { type: 'redacted-reasoning', data: p.data } : { type: 'redacted-reasoning', data: p.data, provider: p.provider });
    } else {
      parts.push({ type: 'tool-call', index: toolIndex++, id: p.id, name: p.name, argumentsDelta: p.arguments });
    }
  }
  if (response.refusal !== undefined) parts.push({ type: 'refusal', delta: response.refusal });
  for (const [namespace, data] of Object.entries(response.providerMetadata ?? {})) parts.push({ type: 'provider-metadata', namespace, data });
  parts.push({ type: 'finish', finishReason: response.finishReason });
  parts.push(response.usageEstimated ? { type: 'usage', usage: response.usage, estimated: true } : { type: 'usage', usage: response.usage });
  return parts;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Replays parts as a stream, every one at hand (`takeReady`): the answer's frames leave in one write.
 * Stopped with a cancellation (`throw`: a drain's deadline) once its last part (the usage) was handed
 * out, the answer was whole: its end is handed out, so the client gets the closing frames rather than
 * an error event after a complete answer, as a live stream's end is. Stopped earlier, it fails with it.
 */
class Replay implements ReadyIterator<StreamPart>, AsyncIterableIterator<StreamPart> {
  private index = 0;

  constructor(private readonly parts: readonly StreamPart[]) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    const part = this.takeReady();
    return Promise.resolve(part === undefined ? DONE : { done: false, value: part });
  }

  takeReady(): StreamPart | undefined {
    return this.index < this.parts.length ? this.parts[this.index++] : undefined;
  }

  return(): Promise<IteratorResult<StreamPart>> {
    this.index = this.parts.length;
    return Promise.resolve(DONE);
  }

  throw(err?: unknown): Promise<IteratorResult<StreamPart>> {
    const whole = this.index >= this.parts.length;
    this.index = this.parts.length;
    return whole && GatewayError.isInstance(err) && err.kind === 'cancelled' ? Promise.resolve(DONE) : Promise.reject(err);
  }
}

/** Replays parts as a stream (`Replay`). */
export function replay(parts: readonly StreamPart[]): AsyncIterableIterator<StreamPart> {
  return new Replay(parts);
}

/**
 * Assembles a streamed answer from its parts, in order: consecutive text (or reasoning) deltas make one
 * part, but a signature ends its reasoning part; refusal deltas make the refusal.
 */
class AnswerBuilder {
  private id = '';
  private model = '';
  private readonly content: AssistantPart[] = [];
  private readonly tools = new Map<number, ToolCallPart>();
  private refusal: string | undefined;
  private finish: StreamPart & { type: 'finish' } = { type: 'finish', finishReason: 'stop' };
  private finished = false;
  private usage: (StreamPart & { type: 'usage' }) | undefined;
  private warnings: ChatResponse['warnings'];
  private servedAs: ServedAs | undefined;
  private metadata: Record<string, JsonObject> | undefined;

  take(p: StreamPart): void {
    const last = this.content[this.content.length - 1];
    switch (p.type) {
      case 'start':
        this.id = p.id ?? this.id;
        this.model = p.model ?? this.model;
        if (p.warnings) this.warnings = p.warnings;
        if (p.servedAs) this.servedAs = p.servedAs;
        return;
      case 'text':
        if (last?.type === 'text') last.text += p.delta;
        else this.content.push({ type: 'text', text: p.delta });
        return;
      case 'reasoning':
        return this.reason(p, last);
      case 'redacted-reasoning':
        this.content.push(p.provider === undefined ? { type: 'redacted-reasoning', data: p.data } : { type: 'redacted-reasoning', data: p.data, provider: p.provider });
        return;
      case 'tool-call':
        return this.call(p);
      case 'refusal':
        this.refusal = (this.refusal ?? '') + p.delta;
        return;
      case 'provider-metadata':
        if (p.namespace !== GATEWAY_NAMESPACE) (this.metadata ??= {})[p.namespace] = { ...this.metadata?.[p.namespace], ...p.data };
        return;
      case 'finish':
        this.finish = p;
        this.finished = true;
        return;
      case 'usage':
        this.usage = p;
    }
  }

  /**
   * A signature seals the reasoning before it: reasoning after it is another part (another thinking
   * block), as the live stream's encoders and the upstream's whole answer have it. Merged, two signed
   * blocks would go back to the upstream as one under the last signature, which it refuses.
   */
  private reason(p: StreamPart & { type: 'reasoning' }, last: AssistantPart | undefined): void {
    const part = last?.type === 'reasoning' && last.signature === undefined ? last : { type: 'reasoning' as const, text: '' };
    if (part !== last) this.content.push(part);
    part.text += p.delta;
    if (p.signature !== undefined) part.signature = p.signature;
    if (p.provider !== undefined) part.provider = p.provider;
  }

  private call(p: StreamPart & { type: 'tool-call' }): void {
    let t = this.tools.get(p.index);
    if (!t) {
      t = { type: 'tool-call', id: '', name: '', arguments: '' };
      this.tools.set(p.index, t);
      this.content.push(t);
    }
    if (p.id !== undefined) t.id = p.id;
    if (p.name !== undefined) t.name += p.name;
    t.arguments += p.argumentsDelta;
  }

  /** The answer, once the stream delivered a finish and a usage part; undefined before. */
  response(): ChatResponse | undefined {
    if (!this.finished || !this.usage) return undefined;
    const response: ChatResponse = { id: this.id, model: this.model, created: Math.floor(Date.now() / 1000), content: this.content, finishReason: this.finish.finishReason, usage: this.usage.usage };
    if (this.refusal !== undefined) response.refusal = this.refusal;
    if (this.usage.estimated) response.usageEstimated = true;
    if (this.usage.raw) response.rawUsage = this.usage.raw;
    if (this.warnings) response.warnings = this.warnings;
    if (this.servedAs) response.servedAs = this.servedAs;
    if (this.metadata) response.providerMetadata = this.metadata;
    return response;
  }
}

/**
 * Relays a live stream while assembling its answer, and hands the answer to `complete` once the
 * stream has ended cleanly with a finish and a usage part; a broken or cancelled stream stores nothing.
 * A consumer that confirms the end (`holdEnd`) stores it only when it took the end (`return()` after
 * it): one that failed on its closing frames sent its client an error, not this answer.
 */
export function recording(parts: AsyncIterable<StreamPart>, complete: (response: ChatResponse) => void): AsyncIterableIterator<StreamPart> {
  const it = parts[Symbol.asyncIterator]();
  const answer = new AnswerBuilder();
  let holding = false;
  let ended = false;
  const store = (): void => {
    const response = answer.response();
    if (response) complete(response);
  };
  const self: AsyncIterableIterator<StreamPart> & { holdEnd(): void } = {
    async next() {
      const r = await it.next();
      if (!r.done) answer.take(r.value);
      else if (holding) ended = true;
      else store();
      return r;
    },
    holdEnd() {
      holding = true;
      holdEnd(it);
    },
    return: (value?: unknown) => {
      // The attempt settles first (in the relay's `return()`, before its promise): a store that threw
      // would otherwise leave it unsettled, its usage unrecorded.
      const returned = it.return?.(value) ?? Promise.resolve({ done: true, value: undefined });
      if (ended) {
        ended = false;
        store();
      }
      return returned;
    },
    // A consumer that failed on a part settles the stream through it (what it was billed comes back).
    throw: (err?: unknown) => it.throw?.(err) ?? Promise.reject(err),
    [Symbol.asyncIterator]: () => self,
  };
  return self;
}
