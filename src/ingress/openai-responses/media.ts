import type { MediaSource } from '../../core/types.js';

/** `data:<media type>;base64,<data>`, as OpenAI clients inline images and files. */
const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+);base64,/;

/** A URL as a canonical media source: a base64 `data:` URL as its bytes, any other URL as a URL to fetch. */
export function mediaSource(url: string): MediaSource {
  const m = DATA_URL.exec(url);
  return m ? { type: 'base64', mediaType: m[1] as string, data: url.slice(m[0].length) } : { type: 'url', url };
}

/** The bytes of a base64 `data:` URL, or undefined when it is not one. */
export function dataUrlSource(url: string): MediaSource | undefined {
  const source = mediaSource(url);
  return source.type === 'base64' ? source : undefined;
}
