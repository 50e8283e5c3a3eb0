/** Inline bytes given as a `data:` URL: the media type and the base64 text, undecoded. */
export interface DataUrl {
  mediaType: string;
  data: string;
}

/** The head of a base64 data URL; only the head is matched, never the (large) data. */
const BASE64_DATA_URL = /^data:([\w.+-]+\/[\w.+-]+);base64,/;

/**
 * `data:<type>/<subtype>;base64,<data>` as its parts, or undefined for anything else, percent-encoded
 * data URLs (`data:image/png,...`) included: every upstream takes inline bytes as base64 only.
 */
export function parseDataUrl(url: string): DataUrl | undefined {
  const head = BASE64_DATA_URL.exec(url);
  return head ? { mediaType: head[1] as string, data: url.slice(head[0].length) } : undefined;
}

/**
 * Whether an upstream may be asked to fetch the URL: http(s) only. A client's `file:`, `gs:` or `s3:`
 * URL would have a self-hosted server (vLLM reads local paths when allowed) or a cloud's service
 * identity read what the client cannot.
 */
export function isFetchableUrl(url: string): boolean {
  return /^https?:\/\//i.test(url) && URL.canParse(url);
}

/** Whether the URL is a `data:` URL at all (one `parseDataUrl` may still refuse). */
export function isDataUrl(url: string): boolean {
  return url.length >= 5 && url.slice(0, 5).toLowerCase() === 'data:';
}
