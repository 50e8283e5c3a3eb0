import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import type { HttpHandler } from '../http/exchange.js';
import { answerText } from '../http/testing/answer-text.js';
import { createHttpHandler } from '../http/handler.js';
import { startOpenAISim } from './openai/index.js';
import type { SimServer } from './server.js';

/*
 * An OpenAI-compatible deployment whose endpoint misses /v1 (`http://host:8000` for `http://host:8000/v1`):
 * the simulators once served it, so a config tested against them 404'd in production. Now the operator
 * sees it against the simulator as in production: the client gets the gateway's own words naming the
 * deployment (nothing of the server's page), and the log names the deployment that failed.
 */

interface Logged {
  msg: string;
  obj: Record<string, unknown>;
}

const NOT_FOUND = (deployment: string): string => `Upstream ${deployment} (openai-compatible) does not know the requested model or resource (HTTP 404).`;

describe('a deployment whose endpoint misses /v1, against the simulator', () => {
  let openai: SimServer;
  let vllm: SimServer;
  let ollama: SimServer;
  let gateway: Gateway;
  let handle: HttpHandler;
  const logged: Logged[] = [];
  const record = (obj: unknown, msg?: string): void => void logged.push({ msg: msg ?? '', obj: obj as Record<string, unknown> });
  const logger: Logger = { ...silentLogger, warn: record, error: record };

  beforeAll(async () => {
    [openai, vllm, ollama] = await Promise.all([startOpenAISim({ apiKey: 'sk-sim' }), startOpenAISim({ server: 'vllm' }), startOpenAISim({ server: 'ollama' })]);
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        deployments: [
          { id: 'openai-no-v1', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: openai.url, api_key: 'sk-sim' },
          { id: 'vllm-no-v1', provider: 'openai-compatible', model: 'llama-3.1-8b-instruct', endpoint: vllm.url },
          { id: 'ollama-no-v1', provider: 'openai-compatible', model: 'llama3.1', endpoint: ollama.url },
          { id: 'openai-ok', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${openai.url}/v1`, api_key: 'sk-sim' },
        ],
        groups: [{ name: 'chat', deployments: ['openai-no-v1', 'openai-ok'] }],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config, { logger });
    handle = createHttpHandler(gateway, { logger });
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.all([openai, vllm, ollama].map((s) => s.close()));
  });

  async function chat(model: string, stream: boolean): Promise<{ status: number; text: string; deployment: string | undefined }> {
    const body = Buffer.from(JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi there' }] }));
    const answer = await handle({ method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body, signal: new AbortController().signal });
    const deployment = answer.headers['x-switchyard-deployment'];
    return { status: answer.status, text: await answerText(answer), deployment: typeof deployment === 'string' ? deployment : undefined };
  }

  for (const stream of [false, true]) {
    const how = stream ? 'streamed' : 'whole';
    for (const [deployment, server, page] of [
      ['openai-no-v1', () => openai, 'Invalid URL'],
      ['vllm-no-v1', () => vllm, 'detail'],
      ['ollama-no-v1', () => ollama, 'page not found'],
    ] as const) {
      it(`${deployment} (${how}): the server's 404 reaches the client as the gateway's words naming the deployment, not the server's page`, async () => {
        const before = server().stats.total;
        const { status, text } = await chat(deployment, stream);
        expect(server().lastRequest?.path).toBe('/chat/completions');
        expect(server().stats.total).toBe(before);
        expect(status).toBe(404);
        expect((JSON.parse(text) as { error: { message: string } }).error.message).toBe(NOT_FOUND(deployment));
        expect(text).not.toContain(page);
      });
    }
  }

  it("logs the failing deployment, its provider and the upstream's 404, and only a fingerprint of the upstream's words", async () => {
    logged.length = 0;
    await chat('openai-no-v1', false);
    const line = logged.find((l) => l.msg === 'upstream error');
    expect(line?.obj).toMatchObject({ deployment: 'openai-no-v1', provider: 'openai-compatible', kind: 'not_found', status: 404 });
    expect(line?.obj).not.toHaveProperty('upstream');
    expect(JSON.stringify(logged)).not.toContain('Invalid URL');
  });

  it('names the deployment and says to check its endpoint when the 404 is no JSON error (vLLM, Ollama)', async () => {
    for (const id of ['vllm-no-v1', 'ollama-no-v1']) {
      logged.length = 0;
      await chat(id, false);
      expect(logged.find((l) => l.msg === 'upstream error')?.obj).toMatchObject({ deployment: id, status: 404, hint: expect.stringContaining('/v1') });
    }
  });

  it("falls back within its group, and the log still names the deployment whose endpoint is wrong", async () => {
    logged.length = 0;
    const { status, deployment } = await chat('chat', false);
    expect([status, deployment]).toEqual([200, 'openai-ok']);
    expect(logged.find((l) => l.msg === 'upstream error')?.obj).toMatchObject({ deployment: 'openai-no-v1', kind: 'not_found', status: 404 });
  });
});
