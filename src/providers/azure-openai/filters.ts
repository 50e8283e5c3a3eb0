import type { JsonObject, JsonValue, StreamPart, Warning } from '../../core/types.js';
import { decodeSseParts, type SseEvent, type SseEventDecoder } from '../sse.js';
import { AZURE_NAMESPACE, chatChunkDecoder } from '../dialects/openai-chat/index.js';
import type { UpstreamRef } from '../upstream.js';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Only chunks that flag something or carry prompt results are worth a second JSON parse. */
const INTERESTING = /prompt_filter_results|"filtered":\s*true|"detected":\s*true/;

/**
 * `INTERESTING`, after two plain searches that rule out nearly every chunk (each carries a dozen
 * `"filtered":false` and no `true`): the expression alone was a quarter of decoding a chunk.
 */
const interesting = (data: string): boolean => (data.includes('true') || data.includes('prompt_filter_results')) && INTERESTING.test(data);

/**
 * Decodes an Azure chat stream with the openai-chat dialect, adding what Azure sends on top: the
 * leading `choices: []` chunk with only prompt_filter_results is consumed here (it is not the start of
 * the answer), and flagged content_filter_results are merged by category. Both surface as
 * cumulative `provider-metadata` parts in the `azure` namespace, after the next part (before it when
 * that is the finish): the last one seen is the complete record. (A non-streamed completion's
 * annotations are decoded by the dialect.)
 */
export function decodeAzureStream(events: AsyncIterable<SseEvent>, upstream: UpstreamRef, warnings?: Warning[]): AsyncIterableIterator<StreamPart> {
  return decodeSseParts(events, new AzureChunkDecoder(chatChunkDecoder(upstream, warnings)), upstream);
}

class AzureChunkDecoder implements SseEventDecoder {
  private readonly state: JsonObject = {};
  private dirty = false;

  constructor(private readonly chat: SseEventDecoder) {}

  get complete(): boolean {
    return this.chat.complete;
  }

  decode(data: string, event: string | undefined, out: StreamPart[]): void {
    if (interesting(data) && this.onlyFilters(data)) return;
    const from = out.length;
    this.chat.decode(data, event, out);
    if (!this.dirty) return;
    // The stream ends at [DONE] (`finish` is not called then): what is still held goes out with it.
    if (out.length === from) {
      if (this.chat.complete) out.push(this.flush());
      return;
    }
    out.splice((out[from] as StreamPart).type === 'finish' ? from : from + 1, 0, this.flush());
  }

  finish(out: StreamPart[]): void {
    this.chat.finish(out);
    if (this.dirty) out.push(this.flush());
  }

  /** Records the chunk's filter results; true when that is all it carries (the leading prompt-filter chunk). */
  private onlyFilters(data: string): boolean {
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return false; // the dialect reports it as malformed
    }
    if (!isObject(chunk)) return false;
    const state = this.state;
    if (Array.isArray(chunk.prompt_filter_results)) {
      state.prompt_filter_results = [...((state.prompt_filter_results as JsonValue[] | undefined) ?? []), ...chunk.prompt_filter_results];
      this.dirty = true;
    }
    const choices = chunk.choices;
    const choice = Array.isArray(choices) ? choices[0] : undefined;
    const hits = isObject(choice) && isObject(choice.content_filter_results) ? flagged(choice.content_filter_results) : {};
    if (Object.keys(hits).length > 0) {
      state.content_filter_results = { ...((state.content_filter_results as JsonObject | undefined) ?? {}), ...hits };
      this.dirty = true;
    }
    return Array.isArray(choices) && choices.length === 0 && chunk.usage == null && chunk.error === undefined;
  }

  private flush(): StreamPart {
    this.dirty = false;
    return { type: 'provider-metadata', namespace: AZURE_NAMESPACE, data: structuredClone(this.state) };
  }
}

/** The categories of one chunk's results that were filtered or detected. */
function flagged(results: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [category, value] of Object.entries(results)) {
    if (isObject(value) && (value.filtered === true || value.detected === true)) out[category] = value;
  }
  return out;
}
