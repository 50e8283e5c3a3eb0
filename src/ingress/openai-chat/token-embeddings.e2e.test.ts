import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { embedText } from '../../sim/answer.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import { startBedrockSim, SIM_CREDENTIALS } from '../../sim/bedrock/index.js';
import { startVertexSim } from '../../sim/vertex/index.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import type { SimServer } from '../../sim/server.js';

/*
 * Token-id input to /v1/embeddings (what LangChain's OpenAIEmbeddings sends, having tokenized with
 * tiktoken), through the real server with the official openai SDK: an OpenAI-compatible upstream gets
 * the ids as given and the client its vectors, billed one token per id; Bedrock and Vertex, whose APIs
 * embed text only, refuse before any call, and a group falls back past them to a deployment that can.
 * So does an OpenAI-compatible deployment marked `embedding_token_input: false`, as an Ollama one
 * should be: the simulator's text-only mode answers token ids as Ollama does.
 */

const KEY = 'sk-tokens';
const PROJECT = 'token-embeddings';
const INVOKE = 'POST /model/{id}/invoke';
const PREDICT = 'POST google:predict';
const EMBEDDINGS = 'POST /embeddings';

describe('embedding token ids through the gateway', () => {
  const sims: SimServer[] = [];
  let bedrock: SimServer;
  let vertex: SimServer;
  let ollama: SimServer;
  let server: RunningServer;
  let openai: OpenAI;

  beforeAll(async () => {
    const account = createSimServiceAccount(PROJECT);
    const [oa, br, vx, ol] = await Promise.all([
      startOpenAISim({ apiKey: 'sk-up' }),
      startBedrockSim({ region: 'us-east-1' }),
      startVertexSim({ publicKey: account.publicKey, project: PROJECT }),
      startOpenAISim({ name: 'ollama', textOnlyEmbeddings: true }),
    ]);
    sims.push(oa, br, vx, ol);
    bedrock = br;
    vertex = vx;
    ollama = ol;
    const parsed = parseConfig(
      {
        api_keys: [{ id: 'k', key: KEY }],
        routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000 },
        deployments: [
          { id: 'titan', provider: 'bedrock', model: 'amazon.titan-embed-text-v2:0', region: 'us-east-1', endpoint: br.url, access_key_id: '${AWS_KEY_ID}', secret_access_key: '${AWS_SECRET}' },
          { id: 'gemini-embed', provider: 'vertex', model: 'gemini-embedding-001', project: PROJECT, region: 'europe-west4', endpoint: vx.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
          { id: 'openai-embed', provider: 'openai-compatible', model: 'text-embedding-3-small', endpoint: `${oa.url}/v1`, api_key: 'sk-up' },
          { id: 'ollama-embed', provider: 'openai-compatible', model: 'nomic-embed-text', endpoint: `${ol.url}/v1`, embedding_token_input: false },
          { id: 'ollama-unmarked', provider: 'openai-compatible', model: 'nomic-embed-text', endpoint: `${ol.url}/v1` },
        ],
        groups: [
          { name: 'text-embedding-3-small', deployments: ['openai-embed'] },
          { name: 'cloud-embed', strategy: 'priority', deployments: ['titan', 'gemini-embed'] },
          { name: 'any-embed', strategy: 'priority', deployments: ['titan', 'openai-embed'] },
          { name: 'local-embed', strategy: 'priority', deployments: ['ollama-embed', 'openai-embed'] },
          { name: 'ollama-embed', deployments: ['ollama-embed'] },
          { name: 'ollama-unmarked', deployments: ['ollama-unmarked'] },
        ],
      },
      { AWS_KEY_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: account.json },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all(sims.map((s) => s.close()));
  });

  it('embeds an array of token arrays at an OpenAI-compatible upstream, one vector per array and one token per id', async () => {
    const r = await openai.embeddings.create({ model: 'text-embedding-3-small', input: [[1212, 318, 257], [1332, 13]], encoding_format: 'float', dimensions: 8 });
    // The simulator embeds token ids as their list: these vectors prove the ids reached it as ids.
    expect(r.data.map((d) => d.embedding)).toEqual([embedText('tokens:1212,318,257', 8), embedText('tokens:1332,13', 8)]);
    expect(r.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
  });

  it('embeds one token array as one input, in the SDK default base64 encoding', async () => {
    const r = await openai.embeddings.create({ model: 'text-embedding-3-small', input: [1212, 318, 257], dimensions: 8 });
    expect(r.data).toHaveLength(1);
    expect(r.data[0]?.embedding).toEqual(embedText('tokens:1212,318,257', 8).map((v) => Math.fround(v)));
    expect(r.usage.prompt_tokens).toBe(3);
  });

  it('refuses token ids on a route of Bedrock and Vertex only with a 400 saying why, before calling either', async () => {
    const before = [bedrock.stats.requests[INVOKE] ?? 0, vertex.stats.requests[PREDICT] ?? 0];
    const err = await openai.embeddings.create({ model: 'cloud-embed', input: [[1212, 318]] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const body = (err as InstanceType<typeof OpenAI.BadRequestError>).error;
    expect(body).toMatchObject({ type: 'invalid_request_error', param: 'input', code: null, message: expect.stringMatching(/embeds text only; this request's 'input' is token ids/) as unknown });
    expect([bedrock.stats.requests[INVOKE] ?? 0, vertex.stats.requests[PREDICT] ?? 0]).toEqual(before);
  });

  it('falls back past a text-only deployment to one that takes token ids', async () => {
    const before = bedrock.stats.requests[INVOKE] ?? 0;
    const { data, response } = await openai.embeddings.create({ model: 'any-embed', input: [[1212, 318]], encoding_format: 'float', dimensions: 8 }).withResponse();
    expect(response.headers.get('x-switchyard-deployment')).toBe('openai-embed');
    expect(data.data[0]?.embedding).toEqual(embedText('tokens:1212,318', 8));
    expect(bedrock.stats.requests[INVOKE] ?? 0).toBe(before);
  });

  it('falls back past an OpenAI-compatible deployment whose server embeds text only, without calling it', async () => {
    const before = ollama.stats.requests[EMBEDDINGS] ?? 0;
    const { data, response } = await openai.embeddings.create({ model: 'local-embed', input: [[1212, 318]], encoding_format: 'float', dimensions: 8 }).withResponse();
    expect(response.headers.get('x-switchyard-deployment')).toBe('openai-embed');
    expect(data.data[0]?.embedding).toEqual(embedText('tokens:1212,318', 8));
    expect(ollama.stats.requests[EMBEDDINGS] ?? 0).toBe(before);
  });

  it('refuses token ids on a route of a text-only OpenAI-compatible deployment with a 400 naming input, before calling it', async () => {
    const before = ollama.stats.requests[EMBEDDINGS] ?? 0;
    const err = await openai.embeddings.create({ model: 'ollama-embed', input: [1212, 318] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ type: 'invalid_request_error', param: 'input', message: expect.stringMatching(/embeds text only/) as unknown });
    expect(ollama.stats.requests[EMBEDDINGS] ?? 0).toBe(before);
  });

  it('sends token ids to an Ollama deployment not marked text-only, which refuses them itself', async () => {
    const before = ollama.stats.requests[EMBEDDINGS] ?? 0;
    const err = await openai.embeddings.create({ model: 'ollama-unmarked', input: [[1212, 318]] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(ollama.stats.requests[EMBEDDINGS] ?? 0).toBe(before + 1);
  });

  it('embeds text at a text-only OpenAI-compatible deployment', async () => {
    const r = await openai.embeddings.create({ model: 'ollama-embed', input: ['alpha', 'beta'], encoding_format: 'float' });
    expect(r.data).toHaveLength(2);
  });

  it('still embeds text on the text-only route', async () => {
    const r = await openai.embeddings.create({ model: 'cloud-embed', input: ['alpha'], encoding_format: 'float' });
    expect(r.data).toHaveLength(1);
  });
});
