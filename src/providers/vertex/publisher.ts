import type { GatewayError } from '../../core/errors.js';
import type { ChatRequest, ChatResponse, StreamPart, Warning } from '../../core/types.js';
import type { SseEvent } from '../sse.js';

type Headers = Record<string, string | string[] | undefined>;

/** A call to a model method; `publisherModel` names the model when it is not the deployment's. */
export interface ModelCall {
  method: string;
  body: unknown;
  publisherModel?: string;
}

/** What differs between model publishers on Vertex: the methods called and the wire format spoken. */
export interface PublisherWire {
  /** Model method for a chat call, e.g. `generateContent` or `streamRawPredict`. */
  chatMethod(stream: boolean): string;
  /** The upstream body, and the request settings it could not carry (reported with the answer). */
  encodeChat(request: ChatRequest, stream: boolean): { body: unknown; warnings: Warning[] };
  decodeChat(json: unknown, warnings: Warning[]): ChatResponse;
  decodeStream(events: AsyncIterable<SseEvent>, warnings: Warning[]): AsyncIterable<StreamPart>;
  mapError(status: number, headers: Headers, body: unknown): GatewayError;
  /** A free call that proves auth, quota project and model access: method and body. */
  probe(): ModelCall;
  /** The free token counter's call for a chat request, and the answer's field that holds the count. */
  countTokens(request: ChatRequest): ModelCall & { countField: string };
}
