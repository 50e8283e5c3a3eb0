import { withoutPadding } from '../../string-slot.js';

const MEMBER = ',"obfuscation":"';

/**
 * A chunk without OpenAI's trailing `"obfuscation"` member (random characters padding each chunk
 * against side channels), so a stream's chunks keep one shape for StringSlot (see `withoutPadding`);
 * `data` itself when it ends otherwise.
 */
export function withoutObfuscation(data: string): string {
  return withoutPadding(data, MEMBER);
}
