import { GatewayError } from '../../core/errors.js';
import type { AssistantMessage, ChatMessage, ContentPart, TextPart, ToolCall } from '../../core/types.js';

/*
 * A Responses `input` (a string, or a list of items) as canonical chat messages. Function calls and
 * their outputs become an assistant turn's tool calls and tool messages; consecutive function calls
 * (and the assistant text before them) are one assistant turn, as the Chat API wants them.
 */

export function bad(param: string, message: string, code = 'invalid_request'): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code });
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DETAILS = new Set(['auto', 'low', 'high']);

function text(v: unknown, param: string): string {
  if (typeof v !== 'string') throw bad(param, `'${param}' must be a string.`);
  return v;
}

function inputPart(part: unknown, p: string, role: string): ContentPart {
  if (!isObject(part)) throw bad(p, `'${p}' must be an object.`);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: text(part.text, `${p}.text`) };
    case 'refusal':
      return { type: 'text', text: text(part.refusal, `${p}.refusal`) };
    case 'input_image': {
      if (role !== 'user') throw bad(`${p}.type`, `'${p}.type' input_image is only allowed in user messages.`);
      if (typeof part.image_url !== 'string') throw bad(`${p}.image_url`, `'${p}.image_url' must be a URL or data URL string (file_id images are not supported).`);
      const detail = part.detail ?? 'auto';
      if (!DETAILS.has(detail as string)) throw bad(`${p}.detail`, `'${p}.detail' must be 'auto', 'low' or 'high'.`);
      return { type: 'image_url', image_url: { url: part.image_url, detail: detail as 'auto' | 'low' | 'high' } };
    }
    default:
      throw bad(`${p}.type`, `'${p}.type' must be 'input_text', 'input_image' or 'output_text' (${String(part.type).slice(0, 40)} is not supported).`);
  }
}

function content(v: unknown, param: string, role: string): string | ContentPart[] {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) throw bad(param, `'${param}' must be a string or an array of content parts.`);
  return v.map((part, i) => inputPart(part, `${param}[${i}]`, role));
}

const textOnly = (parts: string | ContentPart[]): string | TextPart[] => parts as string | TextPart[];

/** Builds messages item by item; an open assistant turn collects function calls until another item ends it. */
class Conversation {
  readonly messages: ChatMessage[] = [];
  private open: AssistantMessage | undefined;

  message(item: Record<string, unknown>, p: string): void {
    const role = item.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
      throw bad(`${p}.role`, `'${p}.role' must be one of user, assistant, system, developer.`);
    }
    const body = content(item.content, `${p}.content`, role);
    if (role === 'assistant') {
      const turn: AssistantMessage = { role: 'assistant', content: textOnly(body) };
      this.push(turn);
      this.open = turn;
      return;
    }
    this.push(role === 'user' ? { role, content: body } : { role, content: textOnly(body) });
  }

  functionCall(item: Record<string, unknown>, p: string): void {
    const call: ToolCall = {
      id: text(item.call_id, `${p}.call_id`),
      type: 'function',
      function: { name: text(item.name, `${p}.name`), arguments: text(item.arguments, `${p}.arguments`) },
    };
    if (this.open) {
      (this.open.tool_calls ??= []).push(call);
      return;
    }
    const turn: AssistantMessage = { role: 'assistant', content: null, tool_calls: [call] };
    this.messages.push(turn);
    this.open = turn;
  }

  functionOutput(item: Record<string, unknown>, p: string): void {
    const out = item.output;
    let body: string | TextPart[];
    if (typeof out === 'string') body = out;
    else if (Array.isArray(out)) {
      body = out.map((part, i) => {
        const c = inputPart(part, `${p}.output[${i}]`, 'tool');
        if (c.type !== 'text') throw bad(`${p}.output[${i}].type`, `'${p}.output[${i}].type' must be 'input_text'.`);
        return c;
      });
    } else throw bad(`${p}.output`, `'${p}.output' must be a string or an array of input_text parts.`);
    this.push({ role: 'tool', tool_call_id: text(item.call_id, `${p}.call_id`), content: body });
  }

  private push(m: ChatMessage): void {
    this.open = undefined;
    this.messages.push(m);
  }
}

/**
 * The messages of a Responses `input`. Reasoning items a client hands back are dropped: the canonical
 * request has no place for another model's reasoning, and upstreams re-derive it.
 */
export function decodeInput(input: unknown): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) throw bad('input', "'input' must be a string or an array of input items.");
  const conversation = new Conversation();
  input.forEach((item: unknown, i) => {
    const p = `input[${i}]`;
    if (!isObject(item)) throw bad(p, `'${p}' must be an object.`);
    const type = item.type ?? 'message';
    if (type === 'message') conversation.message(item, p);
    else if (type === 'function_call') conversation.functionCall(item, p);
    else if (type === 'function_call_output') conversation.functionOutput(item, p);
    else if (type !== 'reasoning') throw bad(`${p}.type`, `Input items of type '${String(type).slice(0, 40)}' are not supported by this gateway.`, 'unsupported_item');
  });
  return conversation.messages;
}
