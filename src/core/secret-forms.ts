/** The texts a configured secret may be echoed as, worked out once when it is registered (`scrub.ts`). */

const utf8Encoder = new TextEncoder();

/** The texts a secret may be echoed as (`registerSecret`). */
export function secretForms(value: string): string[] {
  const bytes = utf8Encoder.encode(value);
  const forms = [value, encodeURIComponent(value), fold(value), hex(bytes)];
  for (let shift = 0; shift < 3; shift++) {
    const aligned = base64Inside(bytes, shift);
    forms.push(aligned, aligned.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return forms;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * The base64 characters that `bytes` alone decide when `shift` bytes of something else come before
 * them in the encoded text: the characters that also hold bits of a neighbour are left out.
 */
function base64Inside(bytes: Uint8Array, shift: number): string {
  let binary = '\0'.repeat(shift);
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).slice(Math.ceil((shift * 8) / 6), Math.floor(((shift + bytes.length) * 8) / 6));
}

/**
 * Dashes of every kind (Unicode's Dash property: hyphen, non-breaking hyphen, en dash, minus sign, the
 * full-width hyphen-minus...), which render as a secret's `-`.
 */
const DASHES = /\p{Dash}/gu;

/**
 * `text` in its compatibility form (NFKC: full-width and other look-alike letters and digits as
 * ASCII) with every dash a hyphen-minus: how a reader reads a secret an upstream echoed in look-alikes.
 */
export function fold(text: string): string {
  return text.normalize('NFKC').replace(DASHES, '-');
}
