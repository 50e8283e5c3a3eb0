import { describe, expect, it } from 'vitest';
import type { ChatRequest, ImagePart, Warning } from '../../core/types.js';
import { encodeMessagesRequest } from './anthropic-messages/encode-request.js';
import { encodeConverseRequest } from './bedrock-converse/encode-request.js';
import { encodeGenerateContentRequest } from './gemini/encode-request.js';
import { encodeChatRequest } from './openai-chat/encode-request.js';

const PNG = { type: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } as const;
const looking = (...details: ImagePart['detail'][]): ChatRequest => ({
  model: 'm',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, ...details.map((detail): ImagePart => ({ type: 'image', source: PNG, detail }))] }],
});

describe("an image's detail 'original' (the Responses API's full resolution)", () => {
  const chat = (request: ChatRequest) => encodeChatRequest(request, { model: 'gpt-5.4', provider: 'openai-compatible', stream: false });

  it('goes to a Chat Completions upstream as auto, which that API takes, with a warning naming the image', () => {
    const { body, warnings } = chat(looking('original'));
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' } }] },
    ]);
    expect(warnings).toEqual([
      { type: 'unsupported-setting', setting: 'detail', message: "The Chat Completions API takes no image detail 'original': the image at messages[0].content[1] was sent with detail 'auto'." },
    ]);
  });

  it('names every image it lowered in one warning, and none when no image asks for original', () => {
    expect(chat(looking('original', 'low', 'original')).warnings?.map((w) => w.message)).toEqual([
      "The Chat Completions API takes no image detail 'original': the images at messages[0].content[1], messages[0].content[3] were sent with detail 'auto'.",
    ]);
    expect(chat(looking('high', 'low', 'auto')).warnings).toBeUndefined();
  });

  const ignoring: ReadonlyArray<readonly [string, (r: ChatRequest, warnings: Warning[]) => unknown]> = [
    ['Claude (Messages API)', (r, warnings) => encodeMessagesRequest(r, { model: 'claude-sonnet-4-6', stream: false, defaultMaxTokens: 1024, warnings })],
    ['Gemini', (r, warnings) => {
      const encoded = encodeGenerateContentRequest(r, 'gemini-2.5-flash');
      warnings.push(...encoded.warnings);
      return encoded.body;
    }],
    ['Bedrock Converse', (r, warnings) => encodeConverseRequest(r, { model: 'amazon.nova-pro-v1:0', warnings })],
  ];
  for (const [label, encode] of ignoring) {
    it(`${label}: is ignored as every other detail is, the image sent as it is and nothing warned`, () => {
      const warnings: Warning[] = [];
      const original = encode(looking('original'), warnings);
      expect(original).toEqual(encode(looking('high'), []));
      expect(original).toEqual(encode(looking(undefined), []));
      expect(warnings).toEqual([]);
    });
  }
});
