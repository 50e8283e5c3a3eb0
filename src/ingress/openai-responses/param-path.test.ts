import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { Message } from '../../core/types.js';
import { encodeConverseRequest } from '../../providers/dialects/bedrock-converse/index.js';
import { encodeChatRequest } from '../../providers/dialects/openai-chat/index.js';
import { encodeGenerateContentRequest } from '../../providers/dialects/gemini/index.js';
import { decodeResponsesRequest } from './decode.js';
import { inDoorTerms } from './param-path.js';
import { sealReasoning } from './reasoning.js';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const BMP = 'data:image/bmp;base64,Qk0AAAA=';

/** The canonical messages the route makes of a body: instructions, the stored conversation, the input. */
function canonical(body: Record<string, unknown>, stored: readonly Message[] = []): Message[] {
  const req = decodeResponsesRequest(body);
  return [...(req.instructions ? [req.instructions] : []), ...stored, ...req.input];
}

/** The param a refusal naming `param` (a canonical place) gets at this door. */
function named(param: string, body: Record<string, unknown>, stored = 0): string | undefined {
  const told = inDoorTerms(new GatewayError({ kind: 'invalid_request', message: `'${param}' is refused.`, param }), body, stored);
  return GatewayError.isInstance(told) ? told.param : undefined;
}

/** The value at a Responses path (`input[3].content[1].image_url`) of a body. */
function valueAt(body: unknown, path: string): unknown {
  let at = body;
  for (const key of path.split(/\.|\[|\]\.?/).filter((k) => k !== '')) at = (at as Record<string, unknown>)[key];
  return at;
}

describe("a refusal from below the door, named in the Responses API's terms", () => {
  it('names a string input as input, and instructions as instructions', () => {
    expect(named('messages[0].content[0]', { model: 'm', input: 'Hi' })).toBe('input');
    const instructed = { model: 'm', instructions: 'Be brief.', input: 'Hi' };
    expect(named('messages[0].content[0]', instructed)).toBe('instructions');
    expect(named('messages[1].content[0]', instructed)).toBe('input');
    expect(named('messages[1]', instructed)).toBe('input');
  });

  it('names a content part of a message item, a medium by the field that holds it', () => {
    const body = {
      model: 'm',
      input: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Compare' }, { type: 'input_image', image_url: 'https://example.com/a.png' }, { type: 'input_file', file_data: 'data:application/pdf;base64,JVBE' }, { type: 'input_file', file_url: 'https://example.com/b.pdf' }] },
      ],
    };
    expect(named('messages[0].content[0]', body)).toBe('input[0].content');
    expect(named('messages[1].content[0]', body)).toBe('input[1].content[0]');
    expect(named('messages[1].content[1]', body)).toBe('input[1].content[1].image_url');
    expect(named('messages[1].content[2]', body)).toBe('input[1].content[2].file_data');
    expect(named('messages[1].content[3]', body)).toBe('input[1].content[3].file_url');
    expect(named('messages[1].content', body)).toBe('input[1].content');
    expect(named('messages[1]', body)).toBe('input[1]');
  });

  it('names function_call and function_call_output items, their arguments and call_id', () => {
    const body = {
      model: 'm',
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'look', arguments: '[1]' },
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: PNG }] },
        { type: 'function_call_output', call_id: 'c2', output: 'sunny' },
      ],
    };
    expect(named('messages[1].content[1].arguments', body)).toBe('input[2].arguments');
    expect(named('messages[1].content[0]', body)).toBe('input[1]');
    expect(named('messages[2].content[1]', body)).toBe('input[3].output[1].image_url');
    expect(named('messages[2].toolCallId', body)).toBe('input[3].call_id');
    expect(named('messages[3].content[0]', body)).toBe('input[4].output');
  });

  it('names the parts of an assistant turn made of several items: reasoning, the message after it, function calls', () => {
    const body = {
      model: 'm',
      input: [
        { role: 'user', content: 'Think' },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm.' }] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'One' }, { type: 'output_text', text: 'Two' }] },
        { type: 'function_call', call_id: 'c1', name: 'look', arguments: 'nope' },
        { role: 'assistant', content: 'A turn of its own' },
        { type: 'reasoning', summary: [] },
        { role: 'user', content: 'Go on' },
      ],
    };
    expect(named('messages[1].content[0]', body)).toBe('input[1]');
    expect(named('messages[1].content[2]', body)).toBe('input[2].content[1]');
    expect(named('messages[1].content[3].arguments', body)).toBe('input[3].arguments');
    expect(named('messages[2].content[0]', body)).toBe('input[4].content');
    // A reasoning item with nothing in it makes no part.
    expect(named('messages[3].content[0]', body)).toBe('input[6].content');
  });

  it('names a signature handed back after the message it signs, which decoding moves before that text', () => {
    const signs = sealReasoning({ type: 'reasoning', text: '', signature: 'sig', provider: 'gemini' }, true);
    const body = {
      model: 'm',
      input: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Calling' },
        { type: 'reasoning', summary: [], encrypted_content: signs },
        { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{}' },
      ],
    };
    expect(canonical(body)[1]?.content.map((p) => p.type)).toEqual(['reasoning', 'text', 'tool-call']);
    expect(named('messages[1].content[0]', body)).toBe('input[2]');
    expect(named('messages[1].content[1]', body)).toBe('input[1].content');
    expect(named('messages[1].content[2].arguments', body)).toBe('input[3].arguments');
  });

  it('names a message of the stored conversation by previous_response_id, which is where it comes from', () => {
    const body = { model: 'm', instructions: 'Be brief.', previous_response_id: 'resp_1', input: [{ role: 'user', content: [{ type: 'input_image', image_url: PNG }] }] };
    expect(named('messages[0]', body, 2)).toBe('instructions');
    expect(named('messages[1].content[0]', body, 2)).toBe('previous_response_id');
    expect(named('messages[2].content[0].arguments', body, 2)).toBe('previous_response_id');
    expect(named('messages[3].content[0]', body, 2)).toBe('input[0].content[0].image_url');
    expect(named('messages[0].content[0]', { model: 'm', previous_response_id: 'resp_1' }, 2)).toBe('previous_response_id');
  });

  it('names every canonical part of a decoded body by the place in the body that made it', () => {
    const body = {
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: PNG }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm.' }] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Calling' }] },
        { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{"a":1}' },
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'here' }, { type: 'input_image', image_url: BMP }] },
        { role: 'user', content: 'Thanks' },
      ],
    };
    canonical(body).forEach((m, i) => {
      m.content.forEach((part, j) => {
        const path = named(`messages[${i}].content[${j}]`, body) ?? '';
        const there = valueAt(body, path);
        if (part.type === 'text') expect(typeof there === 'string' ? there : (there as { text?: unknown }).text).toBe(part.text);
        else if (part.type === 'image') expect(there).toBe(part.source.type === 'base64' ? `data:${part.source.mediaType};base64,${part.source.data}` : part.source.url);
        else if (part.type === 'tool-call') expect(valueAt(body, named(`messages[${i}].content[${j}].arguments`, body) ?? '')).toBe(part.arguments);
        else expect(there).toMatchObject({ type: 'reasoning' });
      });
    });
  });

  it("renames a dialect's refusal, its message too: Bedrock refuses a bmp image, OpenAI an image in a function call output", () => {
    const body = {
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: PNG }] },
        { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'here' }, { type: 'input_image', image_url: BMP }] },
      ],
    };
    const refusal = (encode: (messages: Message[]) => unknown): GatewayError => {
      try {
        encode(canonical(body));
      } catch (err) {
        const told = inDoorTerms(err, body, 0);
        if (GatewayError.isInstance(told)) return told;
      }
      throw new Error('expected a refusal');
    };
    const bedrock = refusal((messages) => encodeConverseRequest({ model: 'm', messages }, { model: 'amazon.nova-pro-v1:0' }));
    expect(bedrock.param).toBe('input[2].output[1].image_url');
    const openai = refusal((messages) => encodeChatRequest({ model: 'm', messages }, { model: 'gpt-4o', provider: 'openai-compatible', stream: false }));
    expect(openai).toMatchObject({ param: 'input[2].output[1].image_url', status: 400 });
    expect(openai.message).toContain('input[2].output[1].image_url');
    expect(openai.message).not.toContain('messages[');
  });

  it("renames a conversation-shape refusal's message as well as its param: nothing to send", () => {
    const told = (input: unknown[]): GatewayError[] => {
      const body = { model: 'm', input };
      return [(messages: Message[]) => encodeConverseRequest({ model: 'm', messages }, { model: 'amazon.nova-pro-v1:0' }), (messages: Message[]) => encodeGenerateContentRequest({ model: 'm', messages })].map((encode) => {
        try {
          encode(canonical(body));
        } catch (err) {
          const renamed = inDoorTerms(err, body, 0);
          if (GatewayError.isInstance(renamed)) return renamed;
        }
        throw new Error('expected a refusal');
      });
    };
    for (const err of told([{ role: 'developer', content: 'Be brief.' }])) {
      expect(err.param).toBe('input');
      expect(err.message).toContain("'input'");
      expect(err.message).not.toContain('messages');
    }
  });

  it('names all of the messages as input, and leaves errors that name no canonical message as they are', () => {
    expect(named('messages', { model: 'm', input: 'Hi' })).toBe('input');
    const err = new GatewayError({ kind: 'invalid_request', message: 'no', param: 'tools' });
    expect(inDoorTerms(err, { model: 'm', input: 'Hi' }, 0)).toBe(err);
    const unnamed = new GatewayError({ kind: 'unavailable', message: 'down' });
    expect(inDoorTerms(unnamed, { model: 'm', input: 'Hi' }, 0)).toBe(unnamed);
  });

  it('names the schema of text.format, which the dialects call response_format', () => {
    const body = { model: 'm', input: 'Hi', text: { format: { type: 'json_schema', name: 'out', schema: { $ref: '#/$defs/missing' } } } };
    const dialects = new GatewayError({ kind: 'invalid_request', message: "response_format's JSON Schema: '$ref' #/$defs/missing points to nothing", param: 'response_format' });
    const told = inDoorTerms(dialects, body, 0);
    expect(GatewayError.isInstance(told) && { param: told.param, message: told.message }).toEqual({
      param: 'text.format',
      message: "text.format's JSON Schema: '$ref' #/$defs/missing points to nothing",
    });
  });
});
