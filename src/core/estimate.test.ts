import { describe, expect, it } from 'vitest';
import { makeUsage, type ChatRequest } from './types.js';
import { embeddingPromptTokens, estimateAnswerTokens, estimatePrompt, estimatePromptTokens, withEstimatedUsage, withSystemPrompt } from './estimate.js';

describe('token estimates', () => {
  it('finds one non-ASCII character at any length and place, whichever way a string is checked (a loop, a scan, the encoder)', () => {
    const tokens = (text: string): number => estimatePromptTokens({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text }] }] });
    for (const length of [1, 15, 16, 63, 64, 200]) {
      for (const at of [0, length - 1]) {
        const ascii = 'a'.repeat(length);
        const wide = `${ascii.slice(0, at)}中${ascii.slice(at + 1)}`;
        expect([length, at, tokens(wide) > tokens(ascii)]).toEqual([length, at, true]);
      }
    }
  });

  it('count a prompt from every part: text, reasoning, tool calls and results with their ids, names, encrypted reasoning', () => {
    const req: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'x'.repeat(8) }] },
        { role: 'user', name: 'abcd', content: [{ type: 'text', text: 'x'.repeat(4) }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'x'.repeat(4), signature: 'not read by the model' },
            { type: 'redacted-reasoning', data: 'opaque12' },
            { type: 'tool-call', id: 'c', name: 'ab', arguments: 'd' },
          ],
        },
        { role: 'tool', toolCallId: 'c', content: [{ type: 'text', text: 'x'.repeat(3) }] },
      ],
    };
    // 4 messages of 4 overhead; 8 + (4 + 4) + (4 + 8 + 4) + (1 + 3) = 36 characters, 9 tokens.
    expect(estimatePromptTokens(req)).toBe(16 + 9);
  });

  it('count what else the request sends upstream as prompt: tools, tool choice, the response format and its schema, stop sequences, passthrough fields', () => {
    const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };
    const alone = estimatePromptTokens(base);
    const tools: ChatRequest['tools'] = [{ name: 'lookup', description: 'd'.repeat(400), parameters: { type: 'object', properties: { q: { type: 'string', enum: ['a', 'b'] }, n: { type: 'integer', maximum: 10 } } }, strict: true }];
    const schema = { type: 'object', description: 'p'.repeat(100_000), properties: { a: { type: 'string' } } };
    const responseFormat: ChatRequest['responseFormat'] = { type: 'json', name: 'answer', description: 'what to write', schema };
    const passthrough = { prediction: { type: 'content', content: 'q'.repeat(4_000) } };
    // About a quarter of each one's JSON length, without writing it.
    const near = (value: unknown) => Math.round(JSON.stringify(value).length / 4);
    expect(estimatePromptTokens({ ...base, tools }) - alone).toBeCloseTo(near(tools), -1);
    expect(estimatePromptTokens({ ...base, responseFormat }) - alone).toBeCloseTo(near(responseFormat), -1);
    expect(estimatePromptTokens({ ...base, responseFormat }) - alone).toBeGreaterThan(25_000);
    expect(estimatePromptTokens({ ...base, toolChoice: { type: 'tool', name: 'n'.repeat(400) } }) - alone).toBeGreaterThanOrEqual(100);
    expect(estimatePromptTokens({ ...base, stopSequences: ['s'.repeat(400), 't'.repeat(400)] }) - alone).toBe(200);
    expect(estimatePromptTokens({ ...base, passthrough }) - alone).toBeCloseTo(near(passthrough), -1);
  });

  it('count text in other scripts at a token a UTF-8 byte, no less than o200k, cl100k, Claude and Gemini bill it, and its floor at four characters a token', () => {
    // Each text with the most tokens any of the four tokenizers made of it (js-tiktoken's o200k and
    // cl100k, @anthropic-ai/tokenizer, Gemma's tokenizer); four characters a token counted 9-50.
    const billed: [string, number][] = [
      ['人工智能正在改变我们的生活方式。从智能手机到自动驾驶汽车，这项技术已经深入到社会的各个领域。', 51],
      ['東京は日本の首都であり、世界で最も人口の多い都市圏の一つです。さくらの季節には、公園で花見を楽しむ人々でにぎわいます。', 67],
      ['세종대왕이 창제한 한글은 과학적이고 배우기 쉬운 문자로 평가받고 있습니다.', 43],
      ['ประเทศไทยเป็นประเทศในเอเชียตะวันออกเฉียงใต้ มีกรุงเทพมหานครเป็นเมืองหลวง', 135],
      ['भारत दक्षिण एशिया में स्थित एक विशाल देश है। यहाँ अनेक भाषाएँ बोली जाती हैं।', 87],
      ['Η Ελλάδα είναι χώρα της νοτιοανατολικής Ευρώπης με πλούσια ιστορία και πολιτισμό.', 95],
      ['😀😂🥲😍👨‍👩‍👧‍👦👩🏽‍💻🏳️‍🌈🇯🇵', 52],
      // Rare characters, split into their bytes: 468 tokens for 200 characters.
      [Array.from({ length: 200 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20_992))).join(''), 468],
      // Combining marks, a token a byte: 225 tokens for 113 characters.
      ['a' + Array.from({ length: 112 }, (_, i) => String.fromCodePoint(0x300 + i)).join(''), 225],
    ];
    for (const [text, tokens] of billed) {
      const req: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text }] }] };
      expect(estimatePrompt(req).tokens - 4, text).toBeGreaterThanOrEqual(tokens);
      expect(estimatePrompt(req).floor, text).toBe(4 + Math.ceil(text.length / 4));
    }
    // ASCII beside 2-byte characters is counted exactly: 162 ASCII characters at four a token, 8 at 2 bytes.
    const german = 'Die Bundesrepublik Deutschland ist ein föderaler Staat in Mitteleuropa. Größte Städte sind Berlin, Hamburg, München und Köln; die Wirtschaft gilt als äußerst exportstark.';
    expect(estimatePromptTokens({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: german }] }] })).toBe(4 + Math.ceil(162 / 4 + 8 * 2));
    // Past the encoder's 16K-unit chunks, a surrogate pair cut between two counts over, never under.
    const emoji = 'a' + '😀'.repeat(20_000);
    const long = estimatePromptTokens({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: emoji }] }] }) - 4;
    expect(long).toBeGreaterThanOrEqual(1 + 80_000);
    expect(long).toBeLessThanOrEqual(1 + 80_000 + 4);
  });

  it('count other scripts the same wherever the request carries text: names, tool calls, tools, the response format, stop sequences, passthrough, the group system prompt, embeddings', () => {
    const han = '漢'.repeat(100);
    const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };
    const alone = estimatePromptTokens(base);
    const more = (req: ChatRequest) => estimatePromptTokens(req) - alone;
    expect(more({ ...base, messages: [{ role: 'user', name: han, content: [{ type: 'text', text: 'hi' }] }] })).toBeGreaterThanOrEqual(300);
    expect(more({ ...base, messages: [...base.messages, { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: JSON.stringify({ q: han }) }] }] })).toBeGreaterThanOrEqual(300);
    expect(more({ ...base, tools: [{ name: 'f', description: han, parameters: { type: 'object' } }] })).toBeGreaterThanOrEqual(300);
    expect(more({ ...base, responseFormat: { type: 'json', name: 'a', schema: { type: 'object', description: han } } })).toBeGreaterThanOrEqual(300);
    expect(more({ ...base, responseFormat: { type: 'json', name: 'a', schema: { type: 'object', properties: { [han]: { type: 'string' } } } } })).toBeGreaterThanOrEqual(300);
    expect(more({ ...base, stopSequences: [han] })).toBeGreaterThanOrEqual(300);
    expect(more({ ...base, passthrough: { prediction: { type: 'content', content: han } } })).toBeGreaterThanOrEqual(300);
    expect(withSystemPrompt({ tokens: 0, floor: 0, likely: 0 }, han)).toEqual({ tokens: 4 + 300, floor: 4 + 25, likely: 4 + 163 });
    expect(embeddingPromptTokens({ model: 'e', input: [han, 'abcd'] })).toBe(300 + 1);
  });

  it('count an image at what it costs at most whatever its bytes or detail: 1,600, 10,000 at original detail', () => {
    const image = (detail?: 'low' | 'high' | 'auto' | 'original', data = 'iVBORw0K'): ChatRequest => ({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', mediaType: 'image/png', data }, ...(detail ? { detail } : {}) }] }],
    });
    expect(estimatePromptTokens(image())).toBe(4 + 1_600);
    expect(estimatePromptTokens(image('high', 'A'.repeat(4_000_000)))).toBe(4 + 1_600);
    expect(estimatePromptTokens(image('auto'))).toBe(4 + 1_600);
    expect(estimatePromptTokens(image('original'))).toBe(4 + 10_000);
    const byUrl: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] }] };
    expect(estimatePromptTokens(byUrl)).toBe(4 + 1_600);
  });

  it('count a `detail: low` image as any other, since only OpenAI caps it at 85 tokens and Claude, Gemini and Bedrock bill it by its pixels; its floor stays 85', () => {
    // A 1092-px square: about 1,590 tokens on Claude (width x height / 750), 4 x 258 on Gemini 2.
    const lowDetail: ChatRequest = {
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/square-1092.png' }, detail: 'low' }] }],
    };
    expect(estimatePrompt(lowDetail)).toEqual({ tokens: 4 + 1_600, floor: 4 + 85, likely: 4 + 85 });
  });

  it('count an inline document by its size (a token a byte, between a 4,600-token page and 100 such pages), text files as text, and a document by URL as ten pages', () => {
    const file = (mediaType: string, bytes: number): ChatRequest => ({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType, data: 'A'.repeat((bytes / 3) * 4) } }] }],
    });
    expect(estimatePromptTokens(file('application/pdf', 3))).toBe(4 + 4_600);
    expect(estimatePromptTokens(file('application/pdf', 300 * 1024))).toBe(4 + 300 * 1024);
    // A 3 MB PDF of photos: never more than the 100 pages Claude reads of one document (it bills some 50K).
    expect(estimatePromptTokens(file('application/pdf', 3 * 1024 * 1024))).toBe(4 + 460_000);
    expect(estimatePromptTokens(file('text/plain', 12_000))).toBe(4 + 3_000);
    expect(estimatePromptTokens(file('application/json', 120_000))).toBe(4 + 30_000);
    const byUrl: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'url', url: 'https://example.com/a.pdf', mediaType: 'application/pdf' } }] }] };
    expect(estimatePromptTokens(byUrl)).toBe(4 + 46_000);
  });

  it('count a dense PDF at no less than Claude bills it: each page its text and its image', () => {
    // 20 pages of 10-pt text made by pdfkit: 96 KB, 1,835 tokens of text a page (cl100k, Claude's
    // tokenizer) plus about 1,600 for the page as an image, 68,700 tokens; a page per 48 KB counted 6,144.
    const pdf: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'A'.repeat(128 * 1024) } }] }] };
    expect(estimatePromptTokens(pdf)).toBeGreaterThanOrEqual(4 + 20 * (1_835 + 1_600));
    // One dense page of 5 KB: 3,000 tokens of text at most and its image.
    const page: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'A'.repeat(6_828) } }] }] };
    expect(estimatePromptTokens(page)).toBeGreaterThanOrEqual(4 + 3_000 + 1_600);
    expect(estimatePrompt(pdf).floor).toBe(4 + 500);
  });

  it('floor every image at 85 tokens and every document at a 500-token page, for the context-window check', () => {
    const media: ChatRequest = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x'.repeat(400) },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'A'.repeat(400_000) } },
            { type: 'file', source: { type: 'base64', mediaType: 'text/plain', data: 'A'.repeat(400) } },
          ],
        },
      ],
    };
    expect(estimatePrompt(media)).toEqual({ tokens: 4 + 100 + 1_600 + 300_000 + 75, floor: 4 + 100 + 85 + 500 + 75, likely: 4 + 100 + 1_600 + 300_000 + 75 });
    // A text file is read as text: a 100,000-token one is 100,000 at the least too, as the same text in a message.
    const textFile: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType: 'text/plain', data: 'A'.repeat(400_000) } }] }] };
    expect(estimatePrompt(textFile).floor).toBe(4 + 75_000);
  });

  it('count an answer from its text, reasoning and tool calls', () => {
    expect(estimateAnswerTokens([{ type: 'reasoning', text: 'four' }, { type: 'text', text: 'twelve chars' }, { type: 'tool-call', id: 'id', name: 'f', arguments: '{}x' }])).toBe(5);
    expect(estimateAnswerTokens([])).toBe(0);
  });

  it('count token-id embedding input exactly, one token per id, and texts at four characters a token', () => {
    expect(embeddingPromptTokens({ model: 'e', tokens: [[1, 2, 3], [4], Array.from({ length: 100 }, () => 9)] })).toBe(104);
    expect(embeddingPromptTokens({ model: 'e', input: ['x'.repeat(8), 'y'] })).toBe(3);
  });

  it('replace usage only where the upstream reported none', () => {
    const reported = { id: 'r', model: 'm', created: 0, content: [{ type: 'text' as const, text: 'abcd' }], finishReason: 'stop' as const, usage: makeUsage({ prompt: 1, completion: 1 }) };
    expect(withEstimatedUsage({ ...reported }, 50).usage).toEqual(makeUsage({ prompt: 1, completion: 1 }));
    expect(withEstimatedUsage({ ...reported, usageEstimated: true }, 50).usage).toEqual(makeUsage({ prompt: 50, completion: 1 }));
  });
});
