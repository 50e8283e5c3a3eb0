import { ZERO_USAGE, type FinishReason, type PromptCount, type StreamPart, type Usage } from '../../core/types.js';
import type { ServedBy } from '../../gateway/gateway.js';
import { exposesUpstream } from '../../http/respond.js';
import type { RouteContext } from '../../http/route.js';
import type { StreamEncoder } from '../../http/sse.js';
import { answerCost, brokenStreamCost } from '../extras.js';
import { streamTrailers } from '../gateway-headers.js';
import { ANTHROPIC_PROVIDER } from './decode-content.js';
import { streamErrorData } from './errors.js';
import { claudeSignature, encodeDeltaUsage, messageId, startUsage, rawStopOf, stopOf, type AnswerAsked, type RawStop } from './encode-response.js';

const frame = (event: string, data: string): string => `event: ${event}\ndata: ${data}\n\n`;

const PING = frame('ping', '{"type": "ping"}');
const MESSAGE_STOP = frame('message_stop', '{"type":"message_stop"}');
const TEXT_BLOCK = '{"type":"text","text":""}';
const THINKING_BLOCK = '{"type":"thinking","thinking":"","signature":""}';

type BlockKind = 'text' | 'thinking' | 'redacted' | 'tool';

/**
 * Canonical stream parts as the Messages API streams them: message_start, then per content block
 * content_block_start / _delta (text_delta, thinking_delta, signature_delta, input_json_delta; a
 * refusal's words as text_delta, and stop_reason `refusal`) / _stop,
 * a ping after the first text or tool block starts, and at the end message_delta (stop reason, whole usage) and
 * message_stop. A block closes when a part of another kind (or another tool call) arrives, a thinking
 * block also once signed; a redacted_thinking block comes whole in its start. Only Claude's signatures
 * and redacted thinking are written: a client sends them back as Claude's. message_start states the
 * prompt's input tokens: the upstream's count when it gave one first (a Claude upstream does), else the
 * gateway's estimate, never a bare 0 (a client reading only message_start sizes its context from it).
 * message_delta carries the upstream's totals, input and cache counts included (cumulative, as the API's
 * own message_delta does), which the SDK's stream helper takes over the start's; the cost travels as
 * an HTTP trailer.
 */
export class MessagesStreamEncoder implements StreamEncoder<StreamPart> {
  readonly framed = true;
  private started = false;
  /** Index of the open (or last) content block; -1 before the first. */
  private index = -1;
  private open: BlockKind | undefined;
  private pinged = false;
  /** The open thinking block has its signature. */
  private signed = false;
  /** The canonical index of the tool call whose block is open. */
  private openTool = -1;
  private finish: FinishReason = 'stop';
  /** The answer's words were a refusal (an OpenAI upstream declined): stop_reason `refusal`. */
  private refused = false;
  private rawStop: RawStop | undefined;
  private usage: Usage | undefined;
  /** The prompt's count when the upstream gave it at the start (an Anthropic upstream does), for message_start. */
  private prompt: PromptCount | undefined;
  private cost: string | undefined;
  /** Whether the usage was the gateway's count (the upstream reported none). */
  private estimated = false;
  /** The trailers (`streamTrailers`), read by the adapter once the stream has ended. */
  readonly trailers = (): Record<string, string> | undefined => streamTrailers(this.cost, this.estimated);

  constructor(
    private readonly ctx: RouteContext,
    private readonly servedBy: ServedBy,
    private readonly asked: AnswerAsked,
    /** The gateway's estimate of the prompt's tokens, for message_start when the upstream counts only at the end. */
    private readonly promptEstimate = 0,
  ) {}

  part(part: StreamPart): string | undefined {
    switch (part.type) {
      case 'start':
        if (this.started) return undefined;
        this.prompt = part.prompt;
        return this.begin();
      case 'text':
        return part.delta === '' ? undefined : this.into('text', TEXT_BLOCK) + this.delta(`{"type":"text_delta","text":${JSON.stringify(part.delta)}}`);
      case 'reasoning': {
        // Thinking blocks only for a client that enabled thinking (see contentBlock).
        if (!this.asked.thinking) return undefined;
        const signature = claudeSignature(part);
        if (part.delta === '' && signature === undefined) return undefined;
        // A signature ends its thinking block: reasoning after it is another block.
        let out = this.into('thinking', THINKING_BLOCK, this.signed);
        this.signed = false;
        if (part.delta !== '') out += this.delta(`{"type":"thinking_delta","thinking":${JSON.stringify(part.delta)}}`);
        if (signature !== undefined) {
          out += this.delta(`{"type":"signature_delta","signature":${JSON.stringify(signature)}}`);
          this.signed = true;
        }
        return out;
      }
      case 'redacted-reasoning':
        if (!this.asked.thinking || part.provider !== ANTHROPIC_PROVIDER) return undefined;
        return this.into('redacted', `{"type":"redacted_thinking","data":${JSON.stringify(part.data)}}`, true);
      case 'refusal':
        // Claude words a decline as text: the refusal's words go in a text block, the stop says refusal.
        if (part.delta === '') return undefined;
        this.refused = true;
        return this.into('text', TEXT_BLOCK) + this.delta(`{"type":"text_delta","text":${JSON.stringify(part.delta)}}`);
      case 'tool-call': {
        let out = '';
        if (this.open !== 'tool' || this.openTool !== part.index) {
          const id = part.id ?? `toolu_${this.ctx.requestId.replaceAll('-', '')}_${part.index}`;
          out = this.into('tool', `{"type":"tool_use","id":${JSON.stringify(id)},"name":${JSON.stringify(part.name ?? '')},"input":{}}`, true);
          this.openTool = part.index;
        }
        if (part.argumentsDelta !== '') out += this.delta(`{"type":"input_json_delta","partial_json":${JSON.stringify(part.argumentsDelta)}}`);
        return out === '' ? undefined : out;
      }
      case 'finish':
        this.finish = part.finishReason;
        return this.close() || undefined;
      case 'usage': {
        this.usage = part.usage;
        this.cost = answerCost(this.ctx, this.servedBy, part.usage, { attempts: part.attempts }).usd;
        this.estimated = part.estimated === true;
        return undefined;
      }
      case 'provider-metadata':
        // Only what an upstream said of the stop matters here; other provider data has no place in the stream.
        this.rawStop = rawStopOf(part.namespace, part.data) ?? this.rawStop;
        return undefined;
    }
  }

  end(): readonly string[] {
    const stop = stopOf(this.finish, this.rawStop, this.asked.stopSequences, this.refused);
    const usage = JSON.stringify(encodeDeltaUsage(this.usage ?? ZERO_USAGE));
    const delta = `{"type":"message_delta","delta":{"container":null,"stop_reason":"${stop.reason}","stop_sequence":${JSON.stringify(stop.sequence)},"stop_details":${JSON.stringify(stop.details)}},"usage":${usage}}`;
    return [(this.started ? '' : this.begin()) + this.close() + frame('message_delta', delta) + MESSAGE_STOP];
  }

  error(err: unknown): string {
    // The trailers still say what the request was billed; the events stay as they were.
    const cost = brokenStreamCost(this.ctx, this.servedBy, err);
    if (cost !== undefined) {
      this.cost = cost.usd;
      this.estimated = cost.estimated;
    }
    const { deployment, provider } = this.servedBy;
    // The API's stream always opens with message_start, an error event included: parts that made no frame
    // (a usage, a finish) may come before the failure.
    const start = this.started ? '' : this.begin();
    return start + frame('error', streamErrorData(err, deployment, provider, (failed) => exposesUpstream(this.ctx.gateway.config, failed)));
  }

  private begin(): string {
    this.started = true;
    // Anthropic reports the prompt's tokens here; for an upstream that counts them only at the end, the estimate stands in until message_delta.
    const usage = JSON.stringify(startUsage(this.prompt, this.promptEstimate));
    const message = `{"id":"${messageId(this.ctx.requestId)}","type":"message","role":"assistant","model":${JSON.stringify(this.asked.model)},"content":[],"container":null,"stop_reason":null,"stop_sequence":null,"stop_details":null,"usage":${usage},"diagnostics":null}`;
    return frame('message_start', `{"type":"message_start","message":${message}}`);
  }

  /** The frames that make `kind` the open block: message_start first, the open block's stop, the new block's start. */
  private into(kind: BlockKind, block: string, always = false): string {
    if (this.open === kind && !always) return '';
    let out = (this.started ? '' : this.begin()) + this.close();
    this.index += 1;
    this.open = kind;
    out += frame('content_block_start', `{"type":"content_block_start","index":${this.index},"content_block":${block}}`);
    // The API pings once, after the start of the first block that is not thinking.
    if (this.pinged || kind === 'thinking' || kind === 'redacted') return out;
    this.pinged = true;
    return out + PING;
  }

  private delta(delta: string): string {
    return frame('content_block_delta', `{"type":"content_block_delta","index":${this.index},"delta":${delta}}`);
  }

  private close(): string {
    if (this.open === undefined) return '';
    this.open = undefined;
    return frame('content_block_stop', `{"type":"content_block_stop","index":${this.index}}`);
  }
}
