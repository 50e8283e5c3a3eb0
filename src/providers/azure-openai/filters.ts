import type { JsonObject, JsonValue, StreamPart, Warning } from '../../core/types.js';
import type { SseEvent } from '../sse.js';
import { AZURE_NAMESPACE, decodeChatStream } from '../dialects/openai-chat/index.js';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Only chunks that flag something or carry prompt results are worth a second JSON parse. */
const INTERESTING = /prompt_filter_results|"filtered":\s*true|"detected":\s*true/;

/**
 * Decodes an Azure chat stream with the openai-chat dialect, adding what Azure sends on top: the
 * leading `choices: []` chunk with only prompt_filter_results is consumed here (it is not the start of
 * the answer), and flagged content_filter_results are merged by category. Both surface as
 * cumulative `provider-metadata` parts in the `azure` namespace: the last one seen is the complete
 * record. (A non-streamed completion's annotations are decoded by the dialect.)
 */
export async function* decodeAzureStream(events: AsyncIterable<SseEvent>, provider: string, warnings?: Warning[]): AsyncGenerator<StreamPart> {
  const state: JsonObject = {};
  let dirty = false;

  async function* tap(): AsyncGenerator<SseEvent> {
    for await (const ev of events) {
      if (!INTERESTING.test(ev.data)) {
        yield ev;
        continue;
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(ev.data);
      } catch {
        yield ev; // the dialect reports it as malformed
        continue;
      }
      if (!isObject(chunk)) {
        yield ev;
        continue;
      }
      if (Array.isArray(chunk.prompt_filter_results)) {
        state.prompt_filter_results = [...((state.prompt_filter_results as JsonValue[] | undefined) ?? []), ...chunk.prompt_filter_results];
        dirty = true;
      }
      const choices = chunk.choices;
      const choice = Array.isArray(choices) ? choices[0] : undefined;
      const hits = isObject(choice) && isObject(choice.content_filter_results) ? flagged(choice.content_filter_results) : {};
      if (Object.keys(hits).length > 0) {
        state.content_filter_results = { ...((state.content_filter_results as JsonObject | undefined) ?? {}), ...hits };
        dirty = true;
      }
      const filterOnly = Array.isArray(choices) && choices.length === 0 && chunk.usage == null && chunk.error === undefined;
      if (!filterOnly) yield ev;
    }
  }

  const flush = (): StreamPart | undefined => {
    if (!dirty) return undefined;
    dirty = false;
    return { type: 'provider-metadata', namespace: AZURE_NAMESPACE, data: structuredClone(state) };
  };

  for await (const part of decodeChatStream(tap(), provider, warnings)) {
    if (part.type === 'finish') {
      const ext = flush();
      if (ext) yield ext;
      yield part;
      continue;
    }
    yield part;
    const ext = flush();
    if (ext) yield ext;
  }
  const ext = flush();
  if (ext) yield ext;
}

/** The categories of one chunk's results that were filtered or detected. */
function flagged(results: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [category, value] of Object.entries(results)) {
    if (isObject(value) && (value.filtered === true || value.detected === true)) out[category] = value;
  }
  return out;
}
