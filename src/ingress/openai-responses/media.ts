import { parseDataUrl } from '../../core/media.js';
import type { MediaSource } from '../../core/types.js';

/** The bytes of a base64 `data:` URL (as OpenAI clients inline images and files), or undefined when it is not one. */
export function dataUrlSource(url: string): MediaSource | undefined {
  const inline = parseDataUrl(url);
  return inline && { type: 'base64', mediaType: inline.mediaType, data: inline.data };
}

/** A URL as a canonical media source: a base64 `data:` URL as its bytes, any other URL as a URL to fetch. */
export function mediaSource(url: string): MediaSource {
  return dataUrlSource(url) ?? { type: 'url', url };
}
