import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicSim } from './anthropic/index.js';
import { startAzureSim } from './azure/index.js';
import { startBedrockSim } from './bedrock/index.js';
import { startOpenAISim } from './openai/index.js';
import type { SimServer } from './server.js';
import { startVertexSim } from './vertex/index.js';

/*
 * A simulator that served its API on paths the real one does not (the OpenAI one took /chat/completions
 * without /v1) passed configs that 404 in production. Each serves its API's paths only and answers any
 * other as its real service does: status, content type and body.
 */

interface Answer {
  status: number;
  type: string | null;
  body: string;
  allow?: string | null;
}

async function send(sim: SimServer, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (method === 'POST') init.body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  const res = await fetch(`${sim.url}${path}`, init);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text(), allow: res.headers.get('allow') };
}

const openaiInvalidUrl = (method: string, path: string): Answer => ({
  status: 404,
  type: 'application/json',
  body: JSON.stringify({ error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } }),
});

describe('the OpenAI-compatible simulator serves its API under /v1 only', () => {
  let openai: SimServer;
  let vllm: SimServer;
  let ollama: SimServer;
  beforeAll(async () => {
    [openai, vllm, ollama] = await Promise.all([startOpenAISim({ apiKey: 'sk-sim' }), startOpenAISim({ server: 'vllm' }), startOpenAISim({ textOnlyEmbeddings: true })]);
  });
  afterAll(async () => {
    await Promise.all([openai, vllm, ollama].map((s) => s.close()));
  });

  it("answers chat, embeddings and models without /v1 with OpenAI's Invalid URL 404, whatever the key", async () => {
    const auth = { authorization: 'Bearer sk-sim' };
    expect(await send(openai, 'POST', '/chat/completions', auth)).toMatchObject(openaiInvalidUrl('POST', '/chat/completions'));
    expect(await send(openai, 'POST', '/embeddings', auth)).toMatchObject(openaiInvalidUrl('POST', '/embeddings'));
    expect(await send(openai, 'GET', '/models', auth)).toMatchObject(openaiInvalidUrl('GET', '/models'));
    expect(await send(openai, 'POST', '/v1/v1/chat/completions')).toMatchObject(openaiInvalidUrl('POST', '/v1/v1/chat/completions'));
    expect(openai.stats.total).toBe(0);
  });

  it('still serves the /v1 paths', async () => {
    expect((await send(openai, 'POST', '/v1/chat/completions', { authorization: 'Bearer sk-sim' })).status).toBe(200);
    expect((await send(openai, 'GET', '/v1/models', { authorization: 'Bearer sk-sim' })).status).toBe(200);
  });

  it("as vLLM, answers FastAPI's 404 detail, and its 405 for a served path's other method", async () => {
    expect(await send(vllm, 'POST', '/chat/completions')).toMatchObject({ status: 404, type: 'application/json', body: '{"detail":"Not Found"}' });
    expect(await send(vllm, 'GET', '/v1/chat/completions')).toMatchObject({ status: 405, type: 'application/json', body: '{"detail":"Method Not Allowed"}', allow: 'POST' });
    expect((await send(vllm, 'POST', '/v1/chat/completions')).status).toBe(200);
  });

  it("as Ollama, answers Gin's plain-text 404 page", async () => {
    for (const [method, path] of [['POST', '/chat/completions'], ['GET', '/v1/chat/completions']] as const) {
      expect(await send(ollama, method, path)).toMatchObject({ status: 404, type: 'text/plain', body: '404 page not found' });
    }
  });
});

describe("each cloud's simulator answers a path its API does not serve as the API does", () => {
  let anthropic: SimServer;
  let azure: SimServer;
  let bedrock: SimServer;
  let vertex: SimServer;
  beforeAll(async () => {
    [anthropic, azure, bedrock, vertex] = await Promise.all([startAnthropicSim({ apiKey: 'sk-ant' }), startAzureSim({ apiKey: 'az' }), startBedrockSim(), startVertexSim()]);
  });
  afterAll(async () => {
    await Promise.all([anthropic, azure, bedrock, vertex].map((s) => s.close()));
  });

  it('Anthropic: 404 not_found_error "Not Found", before reading any credential', async () => {
    for (const path of ['/messages', '/v1/v1/messages']) {
      const answer = await send(anthropic, 'POST', path);
      expect(answer).toMatchObject({ status: 404, type: 'application/json' });
      expect(JSON.parse(answer.body)).toMatchObject({ type: 'error', error: { type: 'not_found_error', message: 'Not Found' } });
    }
  });

  it('Azure OpenAI: 404 Resource not found', async () => {
    const answer = await send(azure, 'POST', '/openai/chat/completions', { 'api-key': 'az' });
    expect(answer).toMatchObject({ status: 404, type: 'application/json', body: JSON.stringify({ error: { code: '404', message: 'Resource not found' } }) });
  });

  it('Bedrock Runtime: a ValidationException "Operation unknown"', async () => {
    const res = await fetch(`${bedrock.url}/v1/model/m/converse`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ValidationException:/);
    expect(await res.json()).toEqual({ message: 'Operation unknown' });
  });

  it("Vertex AI: Google's HTML 404 page quoting the path", async () => {
    const path = '/projects/p/locations/l/publishers/google/models/gemini-2.5-flash:generateContent';
    const answer = await send(vertex, 'POST', path);
    expect(answer).toMatchObject({ status: 404, type: 'text/html; charset=UTF-8' });
    expect(answer.body).toMatch(/^<!DOCTYPE html>\n<html lang=en>\n[\s\S]*<title>Error 404 \(Not Found\)!!1<\/title>/);
    expect(answer.body).toContain(`<p>The requested URL <code>${path}</code> was not found on this server.  <ins>That’s all we know.</ins>`);
  });
});
