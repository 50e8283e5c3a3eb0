/** One Server-Sent Event: `event` is absent when the stream names none (OpenAI, Gemini). */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * Decodes an SSE byte stream into events as they complete. Handles events split across reads, CRLF,
 * comments (`: ping`) and multi-line data. Returns when the body ends; the caller decides whether the
 * stream ended cleanly.
 */
export async function* decodeSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = buffer.indexOf('\n', start);
      if (nl === -1) break;
      let line = buffer.slice(start, nl);
      start = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = undefined;
        data = [];
        continue;
      }
      if (line.charCodeAt(0) === 58 /* : */) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
    }
    buffer = buffer.slice(start);
  }
  buffer += decoder.decode();
  if (data.length > 0 && buffer === '') yield { event, data: data.join('\n') };
}
