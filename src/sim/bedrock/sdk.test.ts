/**
 * The official AWS SDK against the Bedrock simulator: if the SDK cannot parse something, the simulator
 * is wrong. The default client speaks HTTP/2 (h2c to an http:// endpoint), so the simulator serves
 * h2c and HTTP/1.1 on one port; one case uses NodeHttpHandler to cover HTTP/1.1 too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  ValidationException,
  type ConverseCommandInput,
  type ConverseStreamOutput,
  type Message,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { request } from 'undici';
import { startBedrockSim, SIM_CREDENTIALS } from './index.js';
import { REDACTED_THINKING_TRIGGER } from '../anthropic/blocks.js';
import type { SimServer } from '../server.js';
import { BedrockSigner } from '../../providers/bedrock/sign.js';
import { staticCredentials } from '../../providers/bedrock/credentials.js';

const MODEL = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
const TOOL: Tool = {
  toolSpec: { name: 'lookup', description: 'Looks a query up.', inputSchema: { json: { type: 'object', properties: { query: { type: 'string' } } } } },
};
const ask = (text: string): Message[] => [{ role: 'user', content: [{ text }] }];

describe('bedrock simulator with @aws-sdk/client-bedrock-runtime', () => {
  let sim: SimServer;
  let client: BedrockRuntimeClient;
  const clients: BedrockRuntimeClient[] = [];
  const makeClient = (extra: Partial<ConstructorParameters<typeof BedrockRuntimeClient>[0]> = {}): BedrockRuntimeClient => {
    const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: sim.url, credentials: SIM_CREDENTIALS, maxAttempts: 1, ...extra });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    sim = await startBedrockSim({ region: 'us-east-1' });
    client = makeClient();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await sim.close();
  });
  beforeEach(() => sim.faults.clear());

  async function collect(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
    const events: ConverseStreamOutput[] = [];
    for await (const ev of stream ?? []) events.push(ev);
    return events;
  }

  it("thinks when additionalModelRequestFields asks for Claude's thinking, and refuses a tampered signature or a small budget", async () => {
    const thinking = { thinking: { type: 'enabled', budget_tokens: 1024 } };
    const r = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Hello'), inferenceConfig: { maxTokens: 2048 }, additionalModelRequestFields: thinking }));
    const reasoning = r.output?.message?.content?.[0]?.reasoningContent?.reasoningText;
    expect(reasoning?.text).toMatch(/^The user wrote/);
    const again = (signature: string | undefined): Promise<unknown> =>
      client.send(
        new ConverseCommand({
          modelId: MODEL,
          inferenceConfig: { maxTokens: 2048 },
          messages: [...ask('Hello'), { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: reasoning?.text ?? '', signature } } }, { text: 'Hi.' }] }, ...ask('Again')],
        }),
      );
    await expect(again(reasoning?.signature)).resolves.toBeDefined();
    await expect(again('forged')).rejects.toThrow(/signature/);
    const small = client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Hello'), inferenceConfig: { maxTokens: 2048 }, additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 100 } } }));
    await expect(small).rejects.toThrow(/budget_tokens/);
  });

  it("refuses Claude's thinking in a tool loop whose assistant turn does not open with reasoning, as Bedrock does", async () => {
    const thinking = { thinking: { type: 'enabled', budget_tokens: 1024 } };
    const r = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Hello'), inferenceConfig: { maxTokens: 2048 }, additionalModelRequestFields: thinking }));
    const signed = r.output?.message?.content?.[0]?.reasoningContent;
    expect(signed?.reasoningText?.signature).toBeTruthy();
    const use = { toolUse: { toolUseId: 't1', name: 'lookup', input: { query: 'cats' } } };
    const loop = (assistant: NonNullable<Message['content']>, on = true): Promise<unknown> =>
      client.send(
        new ConverseCommand({
          modelId: MODEL,
          inferenceConfig: { maxTokens: 2048 },
          toolConfig: { tools: [TOOL] },
          ...(on ? { additionalModelRequestFields: thinking } : {}),
          messages: [
            ...ask('Please call the tool for cats'),
            { role: 'assistant', content: assistant },
            { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'cats are great' }] } }] },
          ],
        }),
      );
    await expect(loop([use])).rejects.toThrow(/Expected `thinking` or `redacted_thinking`, but found `tool_use`.*must start with a thinking block/);
    await expect(loop([{ reasoningContent: signed }, use] as NonNullable<Message['content']>)).resolves.toBeDefined();
    await expect(loop([use], false)).resolves.toBeDefined();
  });

  it('refuses blank text blocks, empty tool results and tool blocks without a toolConfig, as Bedrock does', async () => {
    const use = { toolUse: { toolUseId: 't1', name: 'lookup', input: { query: 'cats' } } };
    const history = (result: NonNullable<Message['content']>): Message[] => [...ask('Please call the tool for cats'), { role: 'assistant', content: [use] }, { role: 'user', content: result }];
    const converse = (messages: Message[], tools = true) => client.send(new ConverseCommand({ modelId: MODEL, messages, ...(tools ? { toolConfig: { tools: [TOOL] } } : {}) }));
    await expect(converse(history([{ toolResult: { toolUseId: 't1', content: [{ text: 'cats are great' }] } }]), false)).rejects.toThrow(/toolConfig field must be defined/);
    await expect(converse(history([{ toolResult: { toolUseId: 't1', content: [{ text: ' ' }] } }]))).rejects.toThrow(/messages\.2\.content\.0 is blank/);
    await expect(converse(history([{ toolResult: { toolUseId: 't1', content: [] } }]))).rejects.toThrow(/is blank/);
    await expect(converse(ask(''))).rejects.toThrow(/messages\.0\.content\.0 is blank/);
    await expect(converse(history([{ toolResult: { toolUseId: 't1', content: [{ text: 'cats are great' }] } }]))).resolves.toBeDefined();
  });

  it('refuses two tools of one name with a 400 ValidationException, as Bedrock does, on Claude and on other models', async () => {
    const twice = { tools: [TOOL, TOOL] };
    for (const modelId of [MODEL, 'amazon.nova-pro-v1:0']) {
      const err = await client.send(new ConverseCommand({ modelId, messages: ask('hi'), toolConfig: twice })).catch((e: unknown) => e);
      expect(err, modelId).toBeInstanceOf(ValidationException);
      expect((err as ValidationException).$metadata.httpStatusCode).toBe(400);
      expect((err as ValidationException).message).toBe("Tool names in toolConfig.tools must be unique: 'lookup' is given more than once.");
    }
    const other: Tool = { toolSpec: { name: 'fetch', description: 'Fetches a page.', inputSchema: { json: { type: 'object' } } } };
    await expect(client.send(new ConverseCommand({ modelId: MODEL, messages: ask('hi'), toolConfig: { tools: [TOOL, other] } }))).resolves.toBeDefined();
  });

  it('refuses an empty conversation, or one that does not alternate or leaves a toolUse unanswered, as Bedrock does', async () => {
    const converse = (messages: Message[]) => client.send(new ConverseCommand({ modelId: MODEL, messages, toolConfig: { tools: [TOOL] } }));
    const hello: Message = { role: 'assistant', content: [{ text: 'Hello.' }] };
    await expect(converse([])).rejects.toThrow(/must start with a user message/);
    await expect(converse([...ask('a'), ...ask('b')])).rejects.toThrow(/must alternate between user and assistant roles/);
    const use = { toolUse: { toolUseId: 't1', name: 'lookup', input: { query: 'cats' } } };
    await expect(converse([...ask('q'), { role: 'assistant', content: [use] }, ...ask('never mind')])).rejects.toThrow(/Expected toolResult blocks at messages\.2\.content for the following Ids: t1/);
    await expect(converse([...ask('hi'), hello])).resolves.toBeDefined();
  });

  it('refuses a conversation that opens with the assistant on Nova, and takes it on Claude, as Bedrock does', async () => {
    const greeted: Message[] = [{ role: 'assistant', content: [{ text: 'Hello.' }] }, ...ask('hi')];
    const refused = await client.send(new ConverseCommand({ modelId: 'amazon.nova-micro-v1:0', messages: greeted })).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'ValidationException', message: 'A conversation must start with a user message. Try again with a conversation that starts with a user message.' });
    const streamed = await client.send(new ConverseStreamCommand({ modelId: 'amazon.nova-micro-v1:0', messages: greeted })).catch((e: unknown) => e);
    expect((streamed as Error).name).toBe('ValidationException');
    await expect(client.send(new ConverseCommand({ modelId: MODEL, messages: greeted }))).resolves.toBeDefined();
  });

  it('refuses a prefill on Claude 4.6 and later in Anthropic\'s words, as Bedrock does, and continues one on earlier Claude', async () => {
    const prefill: Message[] = [...ask('Name a colour.'), { role: 'assistant', content: [{ text: 'The colour is' }] }];
    const refused = await client.send(new ConverseCommand({ modelId: 'us.anthropic.claude-sonnet-4-6', messages: prefill })).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'ValidationException', message: 'This model does not support assistant message prefill. The conversation must end with a user message.' });
    await expect(client.send(new ConverseCommand({ modelId: MODEL, messages: prefill }))).resolves.toBeDefined();
  });

  it('parses reasoningContent blocks, whole and streamed as text then signature deltas', async () => {
    const r = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Think step by step, please') }));
    const [reasoning, text] = r.output?.message?.content ?? [];
    expect(reasoning?.reasoningContent?.reasoningText?.text).toMatch(/^The user wrote/);
    expect(reasoning?.reasoningContent?.reasoningText?.signature).toBeTruthy();
    expect(text?.text).toContain('You said: Think step by step');
    const events = await collect((await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: ask('Think step by step, please') }))).stream);
    const deltas = events.flatMap((e) => (e.contentBlockDelta?.delta?.reasoningContent ? [e.contentBlockDelta.delta.reasoningContent] : []));
    expect(deltas.map((d) => d.text ?? '').join('')).toBe(reasoning?.reasoningContent?.reasoningText?.text);
    expect(deltas.at(-1)?.signature).toBe(reasoning?.reasoningContent?.reasoningText?.signature);
  });

  it("answers Anthropic's redacted-thinking test string with a redactedContent block after the reasoning, and takes it back", async () => {
    const question = ask(`Think step by step about ${REDACTED_THINKING_TRIGGER}`);
    const r = await client.send(new ConverseCommand({ modelId: MODEL, messages: question }));
    const content = r.output?.message?.content ?? [];
    expect(content.map((b) => Object.keys(b.reasoningContent ?? b)[0])).toEqual(['reasoningText', 'redactedContent', 'text']);
    expect(content[1]?.reasoningContent?.redactedContent?.length).toBeGreaterThan(0);
    await expect(client.send(new ConverseCommand({ modelId: MODEL, messages: [...question, { role: 'assistant', content }, ...ask('Again')] }))).resolves.toBeDefined();
  });

  it('parses a Converse answer with text, stop reason, usage and metrics (HTTP/2)', async () => {
    const r = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Hello there'), system: [{ text: 'Be brief.' }] }));
    expect(r.output?.message?.content?.[0]?.text).toBe(`Hello from ${MODEL}! You said: Hello there.`);
    expect(r.stopReason).toBe('end_turn');
    expect(r.usage?.inputTokens).toBeGreaterThan(0);
    expect(r.usage?.totalTokens).toBe((r.usage?.inputTokens ?? 0) + (r.usage?.outputTokens ?? 0));
    expect(r.metrics?.latencyMs).toBeGreaterThan(0);
  });

  it('serves the same answer over HTTP/1.1 with NodeHttpHandler', async () => {
    const h1 = makeClient({ requestHandler: new NodeHttpHandler() });
    const r = await h1.send(new ConverseCommand({ modelId: MODEL, messages: ask('Hello there') }));
    expect(r.output?.message?.content?.[0]?.text).toContain('You said: Hello there');
  });

  it('reports cache read tokens when the system prompt has a cachePoint', async () => {
    const r = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Hi'), system: [{ text: 'A long shared system prompt.' }, { cachePoint: { type: 'default' } }] }));
    expect(r.usage?.cacheReadInputTokens).toBe(Math.ceil('A long shared system prompt.'.length / 4));
    expect(r.usage?.totalTokens).toBe((r.usage?.inputTokens ?? 0) + (r.usage?.outputTokens ?? 0) + (r.usage?.cacheReadInputTokens ?? 0));
  });

  it('parses a tool use and answers a tool result', async () => {
    const first = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Please call the tool for cats'), toolConfig: { tools: [TOOL] } }));
    expect(first.stopReason).toBe('tool_use');
    const toolUse = first.output?.message?.content?.[0]?.toolUse;
    expect(toolUse?.name).toBe('lookup');
    expect(toolUse?.input).toEqual({ query: 'Please call the tool for cats' });
    const second = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        toolConfig: { tools: [TOOL] },
        messages: [
          ...ask('Please call the tool for cats'),
          { role: 'assistant', content: [{ toolUse: { toolUseId: toolUse?.toolUseId, name: 'lookup', input: toolUse?.input } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: toolUse?.toolUseId, content: [{ text: 'cats are great' }] } }] },
        ],
      }),
    );
    expect(second.output?.message?.content?.[0]?.text).toBe('The tool said: cats are great.');
  });

  it('streams text, the stop reason and usage as event-stream frames', async () => {
    const plain = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('stream me') }));
    const r = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: ask('stream me') }));
    const events = await collect(r.stream);
    expect(events[0]?.messageStart?.role).toBe('assistant');
    const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe(plain.output?.message?.content?.[0]?.text);
    expect(events.filter((e) => e.contentBlockDelta).length).toBeGreaterThan(2);
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('end_turn');
    const meta = events.at(-1)?.metadata;
    expect(meta?.usage?.outputTokens).toBe(plain.usage?.outputTokens);
    expect(meta?.metrics?.latencyMs).toBeGreaterThan(0);
  });

  it('streams a tool use: contentBlockStart, input deltas, tool_use stop', async () => {
    const r = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: ask('Please call the tool now'), toolConfig: { tools: [TOOL] } }));
    const events = await collect(r.stream);
    expect(events.find((e) => e.contentBlockStart)?.contentBlockStart?.start?.toolUse?.name).toBe('lookup');
    const input = events.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
    expect(JSON.parse(input)).toEqual({ query: 'Please call the tool now' });
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('raises an in-stream modelStreamErrorException after some content', async () => {
    sim.faults.add({ stream_error_after_chunks: 2, count: 1 });
    const r = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: ask('this stream will break') }));
    const seen: string[] = [];
    const err = await (async () => {
      for await (const e of r.stream ?? []) seen.push(e.contentBlockDelta?.delta?.text ?? '');
    })().catch((e: unknown) => e);
    expect((err as Error).name).toBe('ModelStreamErrorException');
    expect(seen.join('')).not.toBe('');
  });

  it('raises an in-stream throttlingException', async () => {
    sim.faults.add({ stream_error_after_chunks: 1, error: 'throttlingException', count: 1 });
    const r = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: ask('throttle me midway') }));
    const err = await collect(r.stream).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ThrottlingException');
  });

  it('counts Converse input with CountTokens: what Converse bills as input, for bare Claude model ids only', async () => {
    const converse = { messages: ask('Please call the tool for cats'), system: [{ text: 'Be brief.' }], toolConfig: { tools: [TOOL] } };
    const counted = await client.send(new CountTokensCommand({ modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', input: { converse } }));
    const billed = await client.send(new ConverseCommand({ modelId: MODEL, ...converse }));
    expect(counted.inputTokens).toBeGreaterThan(0);
    expect(counted.inputTokens).toBe(billed.usage?.inputTokens);
    const profile = await client.send(new CountTokensCommand({ modelId: MODEL, input: { converse } })).catch((e: unknown) => e);
    expect((profile as Error).name).toBe('ValidationException');
    expect((profile as Error).message).toMatch(/doesn't support counting tokens/);
    const unsigned = makeClient({ credentials: { ...SIM_CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    const refused = await unsigned.send(new CountTokensCommand({ modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', input: { converse } })).catch((e: unknown) => e);
    expect((refused as Error).name).toBe('InvalidSignatureException');
  });

  it('invokes Titan Text Embeddings v2', async () => {
    const r = await client.send(
      new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', contentType: 'application/json', body: JSON.stringify({ inputText: 'alpha', dimensions: 256, normalize: true }) }),
    );
    const body = JSON.parse(new TextDecoder().decode(r.body)) as { embedding: number[]; inputTextTokenCount: number };
    expect(body.embedding).toHaveLength(256);
    expect(body.inputTextTokenCount).toBe(2);
  });

  it('invokes Cohere embed with a batch', async () => {
    const r = await client.send(
      new InvokeModelCommand({ modelId: 'cohere.embed-english-v3', contentType: 'application/json', body: JSON.stringify({ texts: ['alpha', 'beta'], input_type: 'search_document' }) }),
    );
    const body = JSON.parse(new TextDecoder().decode(r.body)) as { embeddings: number[][]; id: string; texts: string[]; response_type: string };
    expect(body.embeddings).toHaveLength(2);
    expect(body.embeddings[0]).not.toEqual(body.embeddings[1]);
    expect(body.response_type).toBe('embeddings_floats');
    expect(body.texts).toEqual(['alpha', 'beta']);
  });

  it('answers scripted errors in AWS shape: throttling, input too long', async () => {
    sim.faults.add({ status: 429, count: 1 });
    const throttled = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('x') })).catch((e: unknown) => e);
    expect((throttled as Error).name).toBe('ThrottlingException');
    expect((throttled as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(429);
    sim.faults.add({ status: 400, error: 'ValidationException', error_message: 'Input is too long for requested model.', count: 1 });
    const tooLong = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('x') })).catch((e: unknown) => e);
    expect((tooLong as Error).name).toBe('ValidationException');
    expect((tooLong as Error).message).toBe('Input is too long for requested model.');
  });

  it('refuses a bad signature and an unknown access key with 403', async () => {
    const wrongSecret = makeClient({ credentials: { ...SIM_CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    const bad = await wrongSecret.send(new ConverseCommand({ modelId: MODEL, messages: ask('x') })).catch((e: unknown) => e);
    expect((bad as Error).name).toBe('InvalidSignatureException');
    expect((bad as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(403);
    const wrongKey = makeClient({ credentials: { ...SIM_CREDENTIALS, accessKeyId: 'AKIDSOMEONEELSE00001' } });
    const unknown = await wrongKey.send(new ConverseCommand({ modelId: MODEL, messages: ask('x') })).catch((e: unknown) => e);
    expect((unknown as Error).name).toBe('UnrecognizedClientException');
    const wrongRegion = makeClient({ region: 'eu-west-1' });
    const region = await wrongRegion.send(new ConverseCommand({ modelId: MODEL, messages: ask('x') })).catch((e: unknown) => e);
    expect((region as Error).name).toBe('InvalidSignatureException');
  });

  it('refuses a body that does not match its signed x-amz-content-sha256', async () => {
    const signer = new BedrockSigner(staticCredentials(SIM_CREDENTIALS), 'us-east-1');
    const url = new URL(`${sim.url}/model/${encodeURIComponent(MODEL)}/converse`);
    const body = JSON.stringify({ messages: ask('original') });
    const headers = await signer.sign(url, { 'content-type': 'application/json' }, body);
    const ok = await request(url, { method: 'POST', headers, body });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    const tampered = await request(url, { method: 'POST', headers, body: body.replace('original', 'tampered') });
    expect(tampered.statusCode).toBe(403);
    expect(tampered.headers['x-amzn-errortype']).toMatch(/^InvalidSignatureException:/);
    await tampered.body.dump();
  });

  it('refuses Converse for an embedding model with a ValidationException, and embeds with it through InvokeModel', async () => {
    const embedder = 'amazon.titan-embed-text-v2:0';
    const refusals = await Promise.all([
      client.send(new ConverseCommand({ modelId: embedder, messages: ask('Hello') })).catch((e: unknown) => e),
      client.send(new ConverseStreamCommand({ modelId: embedder, messages: ask('Hello') })).catch((e: unknown) => e),
    ]);
    for (const err of refusals) {
      expect(err).toBeInstanceOf(ValidationException);
      expect((err as ValidationException).$metadata.httpStatusCode).toBe(400);
    }
    const embedded = await client.send(new InvokeModelCommand({ modelId: embedder, contentType: 'application/json', body: JSON.stringify({ inputText: 'Hello' }) }));
    expect(embedded.$metadata.httpStatusCode).toBe(200);
  });

  it('answers structured output (outputConfig.textFormat) with JSON valid against the schema, and refuses a schema that is not JSON', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, tags: { type: 'array', items: { type: 'string' }, minItems: 1 } }, required: ['city', 'tags'] };
    const outputConfig = (text: string) => ({ textFormat: { type: 'json_schema' as const, structure: { jsonSchema: { schema: text, name: 'trip' } } } });
    const r = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Plan a trip'), outputConfig: outputConfig(JSON.stringify(schema)) }));
    expect(JSON.parse(r.output?.message?.content?.[0]?.text ?? '')).toEqual({ city: '', tags: [''] });
    await expect(client.send(new ConverseCommand({ modelId: MODEL, messages: ask('Plan a trip'), outputConfig: outputConfig('{not json') }))).rejects.toBeInstanceOf(ValidationException);
  });

  it('honours toolChoice: any forces a call, tool forces the one named', async () => {
    const clock: Tool = { toolSpec: { name: 'clock', inputSchema: { json: { type: 'object', properties: {} } } } };
    const names = async (text: string, toolChoice: NonNullable<ConverseCommandInput['toolConfig']>['toolChoice']): Promise<string[]> => {
      const r = await client.send(new ConverseCommand({ modelId: MODEL, messages: ask(text), toolConfig: { tools: [TOOL, clock], toolChoice } }));
      return (r.output?.message?.content ?? []).flatMap((b) => (b.toolUse?.name === undefined ? [] : [b.toolUse.name]));
    };
    expect(await names('Paris', { auto: {} })).toEqual([]);
    expect(await names('Paris', { any: {} })).toEqual(['lookup']);
    expect(await names('call both tools', { tool: { name: 'clock' } })).toEqual(['clock']);
  });
});
