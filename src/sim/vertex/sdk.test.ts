import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, FinishReason, FunctionCallingConfigMode, GoogleGenAI, Type, type GenerateContentResponse } from '@google/genai';
import { JWT } from 'google-auth-library';
import type { SimServer } from '../server.js';
import { startVertexSim } from './index.js';
import { createSimServiceAccount, type SimServiceAccount } from './credentials.js';

// The official SDK in Vertex mode, pointed at the simulator, signing its own service-account JWT.
const PROJECT = 'sdk-project';
const LOCATION = 'europe-west4';
const MODEL = 'gemini-2.5-flash';

function client(sim: SimServer, account: Pick<SimServiceAccount, 'clientEmail' | 'privateKeyPem'>): GoogleGenAI {
  const jwt = new JWT({ email: account.clientEmail, key: account.privateKeyPem, scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  jwt.useJWTAccessWithScope = true;
  return new GoogleGenAI({ vertexai: true, project: PROJECT, location: LOCATION, apiVersion: 'v1', httpOptions: { baseUrl: sim.url }, googleAuthOptions: { authClient: jwt } });
}

describe('vertex simulator with @google/genai (Vertex mode, v1)', () => {
  let sim: SimServer;
  let account: SimServiceAccount;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    account = createSimServiceAccount(PROJECT);
    sim = await startVertexSim({ publicKey: account.publicKey, project: PROJECT });
    ai = client(sim, account);
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('answers generateContent with text, finish reason, safety ratings and usage', async () => {
    const r = await ai.models.generateContent({ model: MODEL, contents: 'Hello there', config: { systemInstruction: 'Be brief.' } });
    expect(r.text).toBe(`Hello from ${MODEL}! You said: Hello there.`);
    expect(r.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);
    expect(r.candidates?.[0]?.safetyRatings?.length).toBeGreaterThan(0);
    expect(r.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(r.usageMetadata?.totalTokenCount).toBe((r.usageMetadata?.promptTokenCount ?? 0) + (r.usageMetadata?.candidatesTokenCount ?? 0));
    expect(r.responseId).toMatch(/^sim-/);
    expect(sim.stats.requests['POST google:generateContent']).toBeGreaterThan(0);
  });

  it('returns thought parts when thinkingConfig includes thoughts, none with a budget of 0, and refuses a budget out of range', async () => {
    const thought = await ai.models.generateContent({ model: MODEL, contents: 'Hello', config: { thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } } });
    expect(thought.candidates?.[0]?.content?.parts?.[0]).toMatchObject({ thought: true, text: expect.stringMatching(/^The user wrote/) });
    const off = await ai.models.generateContent({ model: MODEL, contents: 'Think step by step: hello', config: { thinkingConfig: { thinkingBudget: 0 } } });
    expect(off.candidates?.[0]?.content?.parts?.some((p) => p.thought === true)).toBe(false);
    await expect(ai.models.generateContent({ model: MODEL, contents: 'Hello', config: { thinkingConfig: { thinkingBudget: 100_000 } } })).rejects.toThrow(/thinking budget/);
    const signature = thought.candidates?.[0]?.content?.parts?.at(-1)?.thoughtSignature;
    expect(signature).toBeTruthy();
    const history = [{ role: 'user', parts: [{ text: 'Hello' }] }, { role: 'model', parts: [{ text: 'Hi.', thoughtSignature: signature }] }, { role: 'user', parts: [{ text: 'Again' }] }];
    await expect(ai.models.generateContent({ model: MODEL, contents: history })).resolves.toBeDefined();
    history[1] = { role: 'model', parts: [{ text: 'Hi.', thoughtSignature: 'Zm9yZ2Vk' }] };
    await expect(ai.models.generateContent({ model: MODEL, contents: history })).rejects.toThrow(/signature/);
  });

  it('refuses a request ending with a model turn on the models without prefill (3.5 Flash-Lite, 3.6 Flash and later), and takes one on the others', async () => {
    const contents = [{ role: 'user', parts: [{ text: 'Name a colour.' }] }, { role: 'model', parts: [{ text: 'The colour is' }] }];
    for (const model of ['gemini-3.6-flash', 'gemini-3.5-flash-lite']) {
      await expect(ai.models.generateContent({ model, contents }), model).rejects.toThrow(/Requests ending with a model turn are not supported/);
    }
    await expect(ai.models.generateContent({ model: 'gemini-3.5-flash', contents })).resolves.toBeDefined();
    await expect(ai.models.generateContent({ model: 'gemini-3.6-flash', contents: [...contents, { role: 'user', parts: [{ text: 'Go on.' }] }] })).resolves.toBeDefined();
  });

  it('refuses, as Gemini does, a model turn first and two turns of one role in a row (400 INVALID_ARGUMENT), and takes the same history opened by a user turn', async () => {
    const refusal = async (contents: Array<{ role: string; parts: object[] }>): Promise<[number, string]> => {
      const err = await ai.models.generateContent({ model: MODEL, contents }).catch((e: unknown) => e);
      if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
      return [err.status, err.message];
    };
    const greeting = { role: 'model', parts: [{ text: 'Hello, how can I help?' }] };
    const seeded = { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { query: 'cats' } } }] };
    const answered = { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { content: 'cats are great' } } }] };
    const ask = (text: string): { role: string; parts: object[] } => ({ role: 'user', parts: [{ text }] });
    const alternate = /Please ensure that multiturn requests alternate between user and model\./;
    const callAfterUser = /Please ensure that function call turn comes immediately after a user turn or after a function response turn\./;
    expect(await refusal([greeting, ask('hi')])).toEqual([400, expect.stringMatching(alternate)]);
    expect(await refusal([seeded, answered, ask('more')])).toEqual([400, expect.stringMatching(callAfterUser)]);
    expect(await refusal([ask('q1'), ask('q2')])).toEqual([400, expect.stringMatching(alternate)]);
    expect(await refusal([ask('q'), greeting, greeting, ask('hi')])).toEqual([400, expect.stringMatching(alternate)]);
    expect(await refusal([ask('q'), greeting, seeded, answered])).toEqual([400, expect.stringMatching(callAfterUser)]);
    await expect(ai.models.generateContent({ model: MODEL, contents: [ask('.'), greeting, ask('hi')] })).resolves.toBeDefined();
    await expect(ai.models.generateContent({ model: MODEL, contents: [ask('.'), seeded, answered] })).resolves.toBeDefined();
  });

  it('reports cached content tokens when the system instruction asks for the cache', async () => {
    const r = await ai.models.generateContent({ model: MODEL, contents: 'Hi', config: { systemInstruction: '[cache] A long shared preamble.' } });
    expect(r.usageMetadata?.cachedContentTokenCount).toBeGreaterThan(0);
  });

  it('returns a function call for a declared tool and reads the function response back', async () => {
    const tools = [{ functionDeclarations: [{ name: 'lookup', description: 'Looks a query up.', parametersJsonSchema: { type: 'object', properties: { query: { type: 'string' } } } }] }];
    const first = await ai.models.generateContent({ model: MODEL, contents: 'Please call the tool for cats', config: { tools } });
    expect(first.functionCalls).toEqual([{ name: 'lookup', args: { query: 'Please call the tool for cats' } }]);
    const second = await ai.models.generateContent({
      model: MODEL,
      config: { tools },
      contents: [
        { role: 'user', parts: [{ text: 'Please call the tool for cats' }] },
        { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { query: 'cats' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { content: 'cats are great' } } }] },
      ],
    });
    expect(second.text).toBe('The tool said: cats are great.');
  });

  it('refuses two function declarations of one name, in one tools entry or across two, with 400 INVALID_ARGUMENT, as Gemini does', async () => {
    const lookup = { name: 'lookup', description: 'Looks a query up.', parametersJsonSchema: { type: 'object' } };
    const refusal = async (tools: Array<{ functionDeclarations: object[] }>): Promise<unknown> => {
      const err = await ai.models.generateContent({ model: MODEL, contents: 'Please call the tool for cats', config: { tools } }).catch((e: unknown) => e);
      return err instanceof ApiError ? [err.status, JSON.parse(err.message) as unknown] : err;
    };
    const refused = [400, { error: { code: 400, message: 'Duplicate function declaration found: lookup', status: 'INVALID_ARGUMENT' } }];
    expect(await refusal([{ functionDeclarations: [lookup, { ...lookup, description: 'Another.' }] }])).toEqual(refused);
    expect(await refusal([{ functionDeclarations: [lookup] }, { functionDeclarations: [lookup] }])).toEqual(refused);
    await expect(ai.models.generateContent({ model: MODEL, contents: 'hi', config: { tools: [{ functionDeclarations: [lookup, { ...lookup, name: 'fetch' }] }] } })).resolves.toBeDefined();
  });

  it('marks thought parts and counts thoughtsTokenCount apart from the candidates', async () => {
    const r = await ai.models.generateContent({ model: MODEL, contents: 'Think step by step about this' });
    const parts = r.candidates?.[0]?.content?.parts ?? [];
    expect(parts[0]).toMatchObject({ thought: true, text: expect.stringMatching(/^The user wrote/) });
    expect(r.text).toContain('You said: Think step by step');
    expect(r.usageMetadata?.thoughtsTokenCount).toBeGreaterThan(0);
    const chunks = [];
    for await (const c of await ai.models.generateContentStream({ model: MODEL, contents: 'Think step by step about this' })) chunks.push(c);
    expect(chunks[0]?.candidates?.[0]?.content?.parts?.[0]?.thought).toBe(true);
  });

  it('streams with generateContentStream, ending on the finishReason chunk that carries usage', async () => {
    const chunks: GenerateContentResponse[] = [];
    for await (const c of await ai.models.generateContentStream({ model: MODEL, contents: 'stream me please' })) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((c) => c.text ?? '').join('')).toBe(`Hello from ${MODEL}! You said: stream me please.`);
    const last = chunks[chunks.length - 1];
    expect(last?.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);
    expect(last?.usageMetadata?.candidatesTokenCount).toBeGreaterThan(0);
  });

  it('streams a SAFETY stop when the fault asks for one', async () => {
    sim.faults.add({ error: 'SAFETY', count: 1 });
    const chunks: GenerateContentResponse[] = [];
    for await (const c of await ai.models.generateContentStream({ model: MODEL, contents: 'tell me something risky' })) chunks.push(c);
    const last = chunks[chunks.length - 1];
    expect(last?.candidates?.[0]?.finishReason).toBe(FinishReason.SAFETY);
    expect(last?.candidates?.[0]?.safetyRatings?.[0]?.blocked).toBe(true);
  });

  it('answers a blocked prompt with promptFeedback and no candidates', async () => {
    sim.faults.add({ error: 'PROMPT_BLOCKED', count: 1 });
    const r = await ai.models.generateContent({ model: MODEL, contents: 'blocked' });
    expect(r.candidates ?? []).toHaveLength(0);
    expect(r.promptFeedback?.blockReason).toBe('PROHIBITED_CONTENT');
  });

  it('embeds text through :predict for text-embedding models', async () => {
    const r = await ai.models.embedContent({ model: 'text-embedding-005', contents: ['alpha', 'beta'], config: { outputDimensionality: 16 } });
    expect(r.embeddings).toHaveLength(2);
    expect(r.embeddings?.[0]?.values).toHaveLength(16);
    expect(r.embeddings?.[0]?.statistics?.tokenCount).toBeGreaterThan(0);
    expect(sim.stats.requests['POST google:predict']).toBe(1);
  });

  it('counts tokens', async () => {
    const r = await ai.models.countTokens({ model: MODEL, contents: 'count these tokens' });
    expect(r.totalTokens).toBeGreaterThan(0);
  });

  it('raises a 429 RESOURCE_EXHAUSTED as an ApiError', async () => {
    sim.faults.add({ status: 429, error: 'RESOURCE_EXHAUSTED', count: 1 });
    const err = await ai.models.generateContent({ model: MODEL, contents: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).message).toContain('RESOURCE_EXHAUSTED');
  });

  it('raises an in-stream error chunk from generateContentStream', async () => {
    sim.faults.add({ stream_error_after_chunks: 2, count: 1 });
    let text = '';
    const err = await (async () => {
      for await (const c of await ai.models.generateContentStream({ model: MODEL, contents: 'this stream will break after a while' })) text += c.text ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(500);
    expect(text.length).toBeGreaterThan(0);
  });

  it('answers responseSchema and responseJsonSchema with JSON valid against them, and JSON mode without one with an object', async () => {
    const responseJsonSchema = { type: 'object', properties: { city: { type: 'string' }, rating: { type: 'integer', minimum: 1, maximum: 5 } }, required: ['city', 'rating'] };
    const json = await ai.models.generateContent({ model: MODEL, contents: 'Rate Paris', config: { responseMimeType: 'application/json', responseJsonSchema } });
    expect(JSON.parse(json.text ?? '')).toEqual({ city: '', rating: 1 });
    const responseSchema = { type: Type.OBJECT, properties: { tags: { type: Type.ARRAY, items: { type: Type.STRING }, minItems: '1' }, mood: { type: Type.STRING, enum: ['calm', 'busy'] } }, required: ['mood', 'tags'], propertyOrdering: ['mood', 'tags'] };
    const openapi = await ai.models.generateContent({ model: MODEL, contents: 'Describe Paris', config: { responseMimeType: 'application/json', responseSchema } });
    expect(openapi.text).toBe('{"mood":"calm","tags":[""]}');
    const mode = await ai.models.generateContent({ model: MODEL, contents: 'Hi', config: { responseMimeType: 'application/json' } });
    expect(JSON.parse(mode.text ?? '')).toEqual({ answer: `Hello from ${MODEL}! You said: Hi.` });
  });

  it('honours functionCallingConfig: NONE calls nothing, ANY forces a call to an allowed function', async () => {
    const tools = [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } } } }, { name: 'get_time' }] }];
    const calls = async (contents: string, functionCallingConfig: { mode: FunctionCallingConfigMode; allowedFunctionNames?: string[] }): Promise<string[]> => {
      const r = await ai.models.generateContent({ model: MODEL, contents, config: { tools, toolConfig: { functionCallingConfig } } });
      return (r.functionCalls ?? []).map((c) => c.name ?? '');
    };
    expect(await calls('call the tool for Paris', { mode: FunctionCallingConfigMode.NONE })).toEqual([]);
    expect(await calls('Paris', { mode: FunctionCallingConfigMode.ANY })).toEqual(['get_weather']);
    expect(await calls('Paris', { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ['get_time'] })).toEqual(['get_time']);
  });

  it('refuses generateContent for an embedding model and :predict for a Gemini model, with 400s in Google\'s shape', async () => {
    const err = await ai.models.generateContent({ model: 'text-embedding-005', contents: 'Hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toContain('is not supported in the generateContent API');
    const jwt = new JWT({ email: account.clientEmail, key: account.privateKeyPem, scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    jwt.useJWTAccessWithScope = true;
    const authorization = (await jwt.getRequestHeaders()).get('authorization') ?? '';
    const predict = (model: string) =>
      fetch(`${sim.url}/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/${model}:predict`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [{ content: 'Hi' }] }),
      });
    const gemini = await predict(MODEL);
    expect(gemini.status).toBe(400);
    expect(await gemini.json()).toEqual({
      error: {
        code: 400,
        status: 'FAILED_PRECONDITION',
        message: 'Gemini cannot be accessed through Vertex Predict/RawPredict API. Please follow https://cloud.google.com/vertex-ai/docs/generative-ai/start/quickstarts/quickstart-multimodal for Gemini usage.',
      },
    });
    expect((await predict('text-embedding-005')).status).toBe(200);
  });

  it('rejects a token signed by another key with 401 UNAUTHENTICATED', async () => {
    const stranger = createSimServiceAccount(PROJECT);
    const err = await client(sim, stranger).models.generateContent({ model: MODEL, contents: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).message).toContain('UNAUTHENTICATED');
  });
});
