/**
 * Gemini thought signatures in the canonical model. Gemini puts a `thoughtSignature` on the part its
 * reasoning led to: a thought, the first function call of a step, or the answer's last text; it must
 * come back on that same part (Gemini 3 refuses a function call that lost its signature). A signature
 * on a thought stays on that reasoning part. A signature on a text or a function call, which have no
 * signature of their own in the canonical model, travels as an empty reasoning part just before it
 * (in streams, a reasoning delta of '' with the signature); the encoder puts it back on that part.
 * All carry `provider: 'google'`, so only Gemini gets them back.
 */
export const GOOGLE_PROVIDER = 'google';
