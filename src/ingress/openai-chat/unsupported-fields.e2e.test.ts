import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { SimServer } from '../../sim/server.js';
import { startOpenAIFront, type OpenAIFront } from '../testing/openai-front.js';

/*
 * A parameter the OpenAI API defines but the gateway does not carry is refused as the gateway's
 * `unsupported_parameter`, naming it, so the client is not told that it does not exist; a parameter no
 * API has is refused as OpenAI refuses it: the Responses API's "Unknown parameter", Chat Completions'
 * "Unrecognized request argument". Through the real server with the official SDK, on both doors.
 */

const KEY = 'sk-fields';

describe('parameters the gateway does not support, and unknown ones', () => {
  let front: OpenAIFront;
  let sim: SimServer;
  let openai: OpenAI;
  const errorOf = async (call: Promise<unknown>): Promise<unknown> => {
    const e = await call.catch((caught: unknown) => caught);
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    return (e as InstanceType<typeof OpenAI.BadRequestError>).error;
  };

  beforeAll(async () => {
    front = await startOpenAIFront(KEY, { chat: {}, granted: { passthrough: ['logprobs'] } });
    ({ sim, openai } = front);
  });

  afterAll(() => front.close());

  const messages = [{ role: 'user' as const, content: 'hi' }];

  it('refuses a Chat Completions parameter no deployment lets through as unsupported by the gateway, and sends it where one does', async () => {
    expect(await errorOf(openai.chat.completions.create({ model: 'chat', messages, logprobs: true }))).toEqual({
      message: "Unsupported parameter: 'logprobs' is not supported by this gateway.",
      type: 'invalid_request_error',
      param: 'logprobs',
      code: 'unsupported_parameter',
    });
    expect(await errorOf(openai.chat.completions.create({ model: 'chat', messages, store: true, stream: true }))).toMatchObject({ param: 'store', code: 'unsupported_parameter' });
    await openai.chat.completions.create({ model: 'granted', messages, logprobs: true });
    expect(JSON.parse(sim.lastRequest?.body.toString() ?? '{}')).toMatchObject({ logprobs: true });
  });

  it('refuses a field no OpenAI API has as Chat Completions does', async () => {
    const body = { model: 'chat', messages, frobnicate: 1 } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
    expect(await errorOf(openai.chat.completions.create(body))).toMatchObject({ message: 'Unrecognized request argument supplied: frobnicate.', param: 'frobnicate' });
  });

  it('refuses a Responses parameter the door does not implement as unsupported, and an unknown one in the API words', async () => {
    for (const [field, value] of [['top_logprobs', 3], ['max_tool_calls', 2], ['conversation', 'conv_1']] as const) {
      const body = { model: 'chat', input: 'hi', [field]: value } as OpenAI.Responses.ResponseCreateParamsNonStreaming;
      expect(await errorOf(openai.responses.create(body)), field).toEqual({
        message: `Unsupported parameter: '${field}' is not supported by this gateway.`,
        type: 'invalid_request_error',
        param: field,
        code: 'unsupported_parameter',
      });
    }
    // Refused with why: the gateway runs no response in the background (false, the default, is taken).
    expect(await errorOf(openai.responses.create({ model: 'chat', input: 'hi', background: true }))).toMatchObject({ param: 'background', code: 'unsupported_parameter', message: expect.stringContaining('runs no response in the background') });
    const unknown = { model: 'chat', input: 'hi', frobnicate: 1 } as OpenAI.Responses.ResponseCreateParamsNonStreaming;
    expect(await errorOf(openai.responses.create(unknown))).toEqual({ message: "Unknown parameter: 'frobnicate'.", type: 'invalid_request_error', param: 'frobnicate', code: 'unknown_parameter' });
  });

  it("refuses a stream_options member OpenAI does not have in its words, and takes include_obfuscation, padding no chunk either way", async () => {
    const body = { model: 'chat', messages, stream: true, stream_options: { include_usage: true, incude_usage: true } } as OpenAI.Chat.ChatCompletionCreateParamsStreaming;
    expect(await errorOf(openai.chat.completions.create(body))).toEqual({
      message: "Unknown parameter: 'stream_options.incude_usage'.",
      type: 'invalid_request_error',
      param: 'stream_options.incude_usage',
      code: 'unknown_parameter',
    });
    const bad = { model: 'chat', messages, stream: true, stream_options: { include_obfuscation: 'no' } } as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming;
    expect(await errorOf(openai.chat.completions.create(bad))).toMatchObject({ param: 'stream_options.include_obfuscation' });
    for (const include_obfuscation of [true, false]) {
      const stream = await openai.chat.completions.create({ model: 'chat', messages, stream: true, stream_options: { include_obfuscation, include_usage: true } });
      const chunks: unknown[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.filter((c) => Object.hasOwn(c as object, 'obfuscation'))).toEqual([]);
    }
  });
});
