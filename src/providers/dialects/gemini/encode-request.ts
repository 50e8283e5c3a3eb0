import { GatewayError } from '../../../core/errors.js';
import type { ChatMessage, ChatRequest, ContentPart, JsonObject, TextPart, ToolChoice } from '../../../core/types.js';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiRequest } from './wire.js';
import { toGeminiParameters, toGeminiSchema } from './schema.js';

function invalid(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param });
}

function textOf(content: string | TextPart[] | null | undefined): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

/** Guesses an image's MIME type from its URL path; Gemini needs one for fileData. */
export function guessMimeType(url: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return MIME_BY_EXTENSION[ext] ?? 'image/jpeg';
}

function imagePart(url: string, param: string): GeminiPart {
  if (url.startsWith('data:')) {
    const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
    if (!match) throw invalid(param, `'${param}' must be a base64 data URL or an http(s) URL.`);
    return { inlineData: { mimeType: match[1] as string, data: match[2] as string } };
  }
  // gs:// is refused: Vertex would read the object with the gateway's own identity, on a client's say-so.
  if (/^https?:\/\//i.test(url)) return { fileData: { mimeType: guessMimeType(url), fileUri: url } };
  throw invalid(param, `'${param}' must be a base64 data URL or an http(s) URL.`);
}

function userParts(content: string | ContentPart[], param: string): GeminiPart[] {
  if (typeof content === 'string') return [{ text: content }];
  return content.map((p, i) => (p.type === 'text' ? { text: p.text } : imagePart(p.image_url.url, `${param}[${i}].image_url.url`)));
}

function parseArguments(args: string, param: string): JsonObject {
  if (args.trim() === '') return {};
  try {
    const parsed = JSON.parse(args) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonObject;
  } catch {
    // fall through to the error below
  }
  throw invalid(param, `'${param}' must be a JSON object for Gemini function calls.`);
}

/** Appends parts to the last content when it has the same role: Gemini wants one turn per role switch. */
function push(contents: GeminiContent[], role: GeminiContent['role'], parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

function encodeMessages(messages: ChatMessage[]): Pick<GeminiRequest, 'contents' | 'systemInstruction'> {
  const contents: GeminiContent[] = [];
  const system: Array<{ text: string }> = [];
  const callNames = new Map<string, string>();
  messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push({ text: textOf(m.content) });
        return;
      case 'user':
        push(contents, 'user', userParts(m.content, `${param}.content`));
        return;
      case 'assistant': {
        const parts: GeminiPart[] = [];
        const text = textOf(m.content);
        if (text !== '') parts.push({ text });
        (m.tool_calls ?? []).forEach((tc, j) => {
          callNames.set(tc.id, tc.function.name);
          parts.push({ functionCall: { name: tc.function.name, args: parseArguments(tc.function.arguments, `${param}.tool_calls[${j}].function.arguments`) } });
        });
        push(contents, 'model', parts);
        return;
      }
      case 'tool': {
        const name = callNames.get(m.tool_call_id);
        if (name === undefined) throw invalid(`${param}.tool_call_id`, `'${param}.tool_call_id' does not match any earlier assistant tool call.`);
        push(contents, 'user', [{ functionResponse: { name, response: { content: textOf(m.content) } } }]);
        return;
      }
    }
  });
  const out: Pick<GeminiRequest, 'contents' | 'systemInstruction'> = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system };
  return out;
}

function encodeToolChoice(choice: ToolChoice): NonNullable<GeminiRequest['toolConfig']> {
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
}

function encodeGenerationConfig(req: ChatRequest): GeminiGenerationConfig | undefined {
  const cfg: GeminiGenerationConfig = {};
  if (req.temperature !== undefined && req.temperature !== null) cfg.temperature = req.temperature;
  if (req.top_p !== undefined && req.top_p !== null) cfg.topP = req.top_p;
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (max !== undefined && max !== null) cfg.maxOutputTokens = max;
  if (req.stop !== undefined && req.stop !== null) cfg.stopSequences = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (req.seed !== undefined && req.seed !== null) cfg.seed = req.seed;
  if (req.presence_penalty !== undefined && req.presence_penalty !== null) cfg.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty !== undefined && req.frequency_penalty !== null) cfg.frequencyPenalty = req.frequency_penalty;
  const rf = req.response_format;
  if (rf?.type === 'json_object') cfg.responseMimeType = 'application/json';
  else if (rf?.type === 'json_schema') {
    cfg.responseMimeType = 'application/json';
    if (rf.json_schema.schema) cfg.responseSchema = toGeminiSchema(rf.json_schema.schema);
  }
  return Object.keys(cfg).length > 0 ? cfg : undefined;
}

/**
 * A canonical chat request as a Gemini generateContent body. The model goes in the URL, not the
 * body. `user`, `parallel_tool_calls` and `n` have no Gemini counterpart (n > 1 is refused earlier).
 */
export function encodeGenerateContentRequest(req: ChatRequest): GeminiRequest {
  const body: GeminiRequest = encodeMessages(req.messages);
  if (req.tools && req.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: req.tools.map((t) => {
          const decl: { name: string; description?: string; parameters?: JsonObject } = { name: t.function.name };
          if (t.function.description !== undefined) decl.description = t.function.description;
          const parameters = toGeminiParameters(t.function.parameters);
          if (parameters !== undefined) decl.parameters = parameters;
          return decl;
        }),
      },
    ];
    if (req.tool_choice !== undefined && req.tool_choice !== null) body.toolConfig = encodeToolChoice(req.tool_choice);
  }
  const generationConfig = encodeGenerationConfig(req);
  if (generationConfig) body.generationConfig = generationConfig;
  return body;
}
