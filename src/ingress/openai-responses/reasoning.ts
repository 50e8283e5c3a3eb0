import type { AssistantPart, ReasoningPart, RedactedReasoningPart } from '../../core/types.js';

/*
 * A reasoning item's `encrypted_content` is opaque to clients: ours carries the canonical reasoning's
 * signature (or redacted data) and whose it is, so a client that hands the item back (stateless, with
 * `include: ["reasoning.encrypted_content"]`) gets the reasoning to the same upstream again.
 */

const PREFIX = 'swy1.';

interface Sealed {
  /** The provider whose signature or data it is. */
  p?: string;
  /** A signature of reasoning text. */
  s?: string;
  /** Redacted reasoning's data. */
  r?: string;
  /** 1: the signature is of the message before the item (Gemini signs the answer's text), not of what follows. */
  b?: 1;
  /** The signed reasoning text, when the item's summary does not show it (no `reasoning.summary` asked). */
  t?: string;
}

/**
 * The `encrypted_content` of a reasoning part; undefined only when there is nothing to seal (neither
 * text nor a signature: no item at all). `ofMessageBefore` marks a signature-only part written after the
 * message it signs. `withText` seals the reasoning text too, for an item whose summary is empty: a
 * signature handed back without the text it signs would be refused upstream, as the API's own encrypted
 * content carries the reasoning. Reasoning no upstream signed (an OpenAI-compatible server's
 * `reasoning_content`) is sealed as its text alone: the API always sends a string for
 * `include: ["reasoning.encrypted_content"]` (its reasoning is always encrypted, never null), and the
 * text is what that string must bring back for the next turn to carry the reasoning.
 */
export function sealReasoning(part: ReasoningPart | RedactedReasoningPart, ofMessageBefore = false, withText = false): string | undefined {
  const sealed: Sealed = part.type === 'reasoning' ? { s: part.signature } : { r: part.data };
  const text = part.type === 'reasoning' ? part.text : '';
  if (sealed.s === undefined && sealed.r === undefined && text === '') return undefined;
  if (part.provider !== undefined) sealed.p = part.provider;
  if (ofMessageBefore) sealed.b = 1;
  if (text !== '' && (withText || sealed.s === undefined)) sealed.t = text;
  return PREFIX + Buffer.from(JSON.stringify(sealed)).toString('base64url');
}

/**
 * A reasoning part with no text, only a signature: in Gemini's answers, the signature of the text or
 * call after it (see providers/dialects/gemini/signatures.ts).
 */
export function isSignatureOnly(part: AssistantPart): part is ReasoningPart & { signature: string } {
  return part.type === 'reasoning' && part.text === '' && part.signature !== undefined;
}

function unseal(encrypted: string): Sealed | undefined {
  if (!encrypted.startsWith(PREFIX)) return undefined;
  try {
    const sealed = JSON.parse(Buffer.from(encrypted.slice(PREFIX.length), 'base64url').toString('utf8')) as unknown;
    return typeof sealed === 'object' && sealed !== null ? (sealed as Sealed) : undefined;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A reasoning item handed back: its canonical part, and whether it signs the message before it. */
export interface HandedBackReasoning {
  part: ReasoningPart | RedactedReasoningPart;
  ofMessageBefore: boolean;
}

/**
 * A reasoning item handed back as a canonical part: its summary as the text (or the text sealed with the
 * signature when the summary was not shown), ours sealed as we wrote it; anyone else's encrypted content
 * as a signature of no known provider (dialects send that nowhere).
 */
export function reasoningPart(summary: string, encrypted: string | undefined): HandedBackReasoning | undefined {
  if (encrypted === undefined) return summary === '' ? undefined : { part: { type: 'reasoning', text: summary }, ofMessageBefore: false };
  const sealed = unseal(encrypted);
  if (!sealed) return { part: { type: 'reasoning', text: summary, signature: encrypted }, ofMessageBefore: false };
  const provider = str(sealed.p);
  const redacted = str(sealed.r);
  if (redacted !== undefined) {
    return { part: provider === undefined ? { type: 'redacted-reasoning', data: redacted } : { type: 'redacted-reasoning', data: redacted, provider }, ofMessageBefore: false };
  }
  const sealedText = summary === '' ? str(sealed.t) : undefined;
  const part: ReasoningPart = { type: 'reasoning', text: sealedText ?? summary };
  const signature = str(sealed.s);
  if (signature !== undefined) part.signature = signature;
  if (provider !== undefined) part.provider = provider;
  return { part, ofMessageBefore: sealed.b === 1 && isSignatureOnly(part) };
}
