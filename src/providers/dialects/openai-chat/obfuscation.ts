import { isPlainStringBody } from '../../string-slot.js';

const MEMBER = ',"obfuscation":"';

/**
 * A chunk without OpenAI's trailing `"obfuscation"` member (random characters that pad each chunk
 * against side channels; nothing reads them), so the chunks of a stream keep one shape for
 * StringSlot; `data` itself when it ends otherwise. Only a member that closes the chunk is taken, and
 * only when its value has no quote, backslash or control character: the `"` after the comma then
 * starts a key (a string there could only be followed by `:`), its value is one string, and the last
 * `}` closes the chunk's own object, so the rest parses as the whole would, that member aside.
 */
export function withoutObfuscation(data: string): string {
  const end = data.length - 2;
  if (end < MEMBER.length || data.charCodeAt(end + 1) !== 125 /* } */ || data.charCodeAt(end) !== 34 /* " */) return data;
  const at = data.lastIndexOf(MEMBER, end - 1);
  return at !== -1 && isPlainStringBody(data, at + MEMBER.length, end) ? `${data.slice(0, at)}}` : data;
}
