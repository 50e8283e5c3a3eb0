import { GatewayError } from '../../../core/errors.js';
import { isFetchableUrl, parseDataUrl } from '../../../core/media.js';
import { textOf } from '../../../core/types.js';
import type { AssistantPart, FilePart, ImagePart, Message, ReasoningPart, ToolMessage, UserPart, Warning } from '../../../core/types.js';
import type { GeminiContent, GeminiPart, GeminiRequest } from './wire.js';
import { GOOGLE_PROVIDER } from './signatures.js';
import { parseToolArguments } from '../tool-arguments.js';
import { lateSystemWarning } from '../system-place.js';

function invalid(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, unsent: true });
}

/** Input Gemini cannot take but another deployment of the group may: a 400 here, a fallback there. */
function notHere(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, fallbackable: true, unsent: true });
}

/** A Map, not an object: the extension is the client's, and an object would answer `constructor` from its prototype. */
const MIME_BY_EXTENSION: ReadonlyMap<string, string> = new Map([
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['heic', 'image/heic'],
  ['heif', 'image/heif'],
  ['pdf', 'application/pdf'],
]);

/** Guesses an image's MIME type from its URL path; Gemini needs one for fileData. */
export function guessMimeType(url: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return MIME_BY_EXTENSION.get(ext) ?? 'image/jpeg';
}

/** An image or file: inline bytes as inlineData, an http(s) URL as fileData (Vertex fetches it). */
function mediaPart(part: ImagePart | FilePart, param: string): GeminiPart {
  const source = part.source;
  if (source.type === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
  const inline = parseDataUrl(source.url);
  if (inline) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
  // gs:// is refused: Vertex would read the object with the gateway's own identity, on a client's say-so.
  if (!isFetchableUrl(source.url)) throw invalid(param, `'${param}' must be inline (base64) data or an http(s) URL.`);
  // An image's type can be told from its URL as Gemini expects; a document's cannot be guessed safely.
  const mimeType = source.mediaType ?? (part.type === 'image' ? guessMimeType(source.url) : undefined);
  if (mimeType === undefined) throw notHere(param, `'${param}' needs a media type: Gemini reads a file URL only with its MIME type.`);
  return { fileData: { mimeType, fileUri: source.url } };
}

/** User parts; empty text is left out (Vertex: "Unable to submit request because it has an empty text parameter"). */
function userParts(content: UserPart[], param: string): GeminiPart[] {
  const out: GeminiPart[] = [];
  content.forEach((p, j) => {
    if (p.type !== 'text') out.push(mediaPart(p, `${param}.content[${j}]`));
    else if (p.text !== '') out.push({ text: p.text });
  });
  return out;
}

/** Whether a user part gives the model anything: media does, blank text does not. */
function saysSomething(part: GeminiPart): boolean {
  return !('text' in part) || part.text.trim() !== '';
}

function signed<T extends GeminiPart>(part: T, signature: string | undefined): T {
  return signature === undefined ? part : Object.assign({}, part, { thoughtSignature: signature });
}

/**
 * Whether a Google reasoning part's signature belongs to the part after it (see signatures.ts). One on
 * reasoning text right before a function call goes to the call too: Gemini signs calls, not the
 * thoughts before them, and a stream accumulator may have merged the call's signature into those.
 */
function signatureGoesForward(part: ReasoningPart, next: AssistantPart | undefined): boolean {
  if (part.signature === undefined) return false;
  return next?.type === 'tool-call' || (part.text === '' && next?.type === 'text');
}

/**
 * Google's documented stand-in for a signature the conversation does not have (calls made by another
 * model, or replayed by a client that cannot carry signatures): Gemini 3 refuses an unsigned call.
 */
export const SKIP_SIGNATURE_CHECK = 'skip_thought_signature_validator';

/**
 * An assistant message as model parts, in order. Google reasoning goes back as thoughts with their
 * signatures; reasoning of other providers (and redacted reasoning) is dropped, never sent as text.
 * With `signCalls`, a step's first function call that lost its signature gets SKIP_SIGNATURE_CHECK
 * (Gemini 3 signs only the first call of a step and requires that one back).
 */
function modelParts(content: AssistantPart[], param: string, callNames: Map<string, string>, signCalls: boolean): GeminiPart[] {
  const out: GeminiPart[] = [];
  let pending: string | undefined;
  let firstCall = signCalls;
  content.forEach((p, j) => {
    if (p.type === 'reasoning') {
      if (p.provider !== GOOGLE_PROVIDER) return;
      const forward = signatureGoesForward(p, content[j + 1]);
      if (p.text !== '') out.push(signed({ text: p.text, thought: true }, forward ? undefined : p.signature));
      else if (p.signature !== undefined && !forward) out.push({ text: '', thoughtSignature: p.signature });
      if (forward) pending = p.signature;
    } else if (p.type === 'text') {
      if (p.text !== '' || pending !== undefined) out.push(signed({ text: p.text }, pending));
      pending = undefined;
    } else if (p.type === 'tool-call') {
      callNames.set(p.id, p.name);
      const signature = pending ?? (firstCall ? SKIP_SIGNATURE_CHECK : undefined);
      out.push(signed({ functionCall: { name: p.name, args: parseToolArguments(p.arguments, `${param}.content[${j}].arguments`, 'Gemini') } }, signature));
      pending = undefined;
      firstCall = false;
    }
  });
  return out;
}

/** A tool result as functionResponse; Gemini's convention puts a failure under `error`. */
function functionResponse(m: ToolMessage, param: string, callNames: Map<string, string>): GeminiPart {
  const name = callNames.get(m.toolCallId);
  if (name === undefined) throw invalid(`${param}.toolCallId`, `'${param}.toolCallId' does not match any earlier assistant tool call.`);
  m.content.forEach((p, j) => {
    if (p.type !== 'text') throw notHere(`${param}.content[${j}]`, `'${param}.content[${j}]': Gemini takes only text in tool results.`);
  });
  const text = textOf(m.content);
  return { functionResponse: { name, response: m.isError === true ? { error: text } : { content: text } } };
}

/** Appends parts to the last content when it has the same role: Gemini wants one turn per role switch. */
function push(contents: GeminiContent[], role: GeminiContent['role'], parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  // One by one: `push(...parts)` overflows the stack on a long enough list.
  if (last && last.role === role) for (const part of parts) last.parts.push(part);
  else contents.push({ role, parts });
}

/** What the target model demands of the history. */
export interface HistoryRules {
  /** The model requires signed function calls in its history (Gemini 3). */
  signCalls: boolean;
  /** The model continues a final model turn (a prefill); the newest models refuse one. */
  prefill: boolean;
}

const LENIENT: HistoryRules = { signCalls: false, prefill: true };

/**
 * The user turn put before a conversation that opens with the model's (a greeting, a seeded tool call),
 * which Gemini refuses ("Please ensure that multiturn requests alternate between user and model"; with a
 * function call, "...function call turn comes immediately after a user turn or after a function response
 * turn"). One token that asks nothing, so the history keeps its meaning; not empty, which Vertex refuses.
 */
const OPENING_TEXT = '.';

/**
 * The conversation as Gemini contents, one turn per role switch, opening with a user turn;
 * system messages become the systemInstruction. Refuses, before sending, what Gemini would refuse after
 * it: a user message of blank text only, a conversation with nothing to send, and, for a model without
 * `prefill`, one ending with an assistant message.
 */
export function encodeMessages(messages: Message[], rules: HistoryRules = LENIENT, warnings: Warning[] = []): Pick<GeminiRequest, 'contents' | 'systemInstruction'> {
  const { signCalls } = rules;
  const contents: GeminiContent[] = [];
  const system: Array<{ text: string }> = [];
  // Gemini names a function response by the function, not by a call id.
  const callNames = new Map<string, string>();
  let lastModelTurn = 0;
  const moved = lateSystemWarning(messages, 'Gemini');
  if (moved) warnings.push(moved);
  messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    switch (m.role) {
      case 'system': {
        const text = textOf(m.content);
        if (text !== '') system.push({ text });
        return;
      }
      case 'user': {
        const parts = userParts(m.content, param);
        // Dropped, the turn could leave no contents, or a model turn where the client's question was.
        if (!parts.some(saysSomething)) throw notHere(`${param}.content`, `'${param}.content' has no content Gemini takes: its text is empty or blank.`);
        push(contents, 'user', parts);
        return;
      }
      case 'assistant': {
        const parts = modelParts(m.content, param, callNames, signCalls);
        if (parts.length > 0) lastModelTurn = i;
        push(contents, 'model', parts);
        return;
      }
      case 'tool':
        push(contents, 'user', [functionResponse(m, param, callNames)]);
        return;
    }
  });
  // "Unable to submit request because at least one contents field is required."
  if (contents.length === 0) throw notHere('messages', "'messages' holds no user or assistant content; Gemini needs some.");
  if (contents[0]?.role === 'model') {
    contents.unshift({ role: 'user', parts: [{ text: OPENING_TEXT }] });
    // Sent, not asked for: the client is told, as of every setting the upstream could not take as given.
    warnings.push({ type: 'other', setting: 'messages', message: `Gemini needs a conversation to open with a user turn: a user turn of "${OPENING_TEXT}" was sent before the first assistant message.` });
  }
  // "Requests ending with a model turn are not supported": dropped, the model would answer afresh, not continue the client's text.
  if (!rules.prefill && contents[contents.length - 1]?.role === 'model') {
    throw notHere(`messages[${lastModelTurn}].role`, `'messages[${lastModelTurn}]' is an assistant message at the end of the conversation; this Gemini model does not continue one (prefill).`);
  }
  const out: Pick<GeminiRequest, 'contents' | 'systemInstruction'> = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system };
  return out;
}
