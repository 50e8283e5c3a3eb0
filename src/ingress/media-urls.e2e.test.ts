import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { createGateway } from '../gateway/gateway.js';
import { createLedger, type Ledger } from '../ledger/index.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { startAnthropicSim } from '../sim/anthropic/index.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';

/*
 * Media URLs a client gives are fetched by the upstream, from the upstream's network: a self-hosted
 * model server would fetch the gateway's neighbours (a cloud's metadata service, internal hosts) for
 * whoever can call the gateway. By default (`media_urls: public`) a URL whose host is a non-public
 * address or a localhost name reaches no upstream; a deployment with `media_urls: any` may take it.
 */

const METADATA = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';
const PUBLIC_IMAGE = 'https://images.example.com/cat.png';

describe('media URLs through the front doors', () => {
  let vllm: SimServer;
  let wide: SimServer;
  let claude: SimServer;
  let ledger: Ledger;
  let server: RunningServer;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    [vllm, wide, claude] = await Promise.all([startOpenAISim({ name: 'vllm' }), startOpenAISim({ name: 'wide' }), startAnthropicSim({ apiKey: 'sk-ant' })]);
    const dir = mkdtempSync(join(tmpdir(), 'media-urls-'));
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1 },
        deployments: [
          // A self-hosted server (vLLM, Ollama) with the default policy.
          { id: 'vllm', provider: 'openai-compatible', model: 'llama-3.1-8b-instruct', endpoint: `${vllm.url}/v1` },
          // One the operator lets fetch anything (its network has nothing to reach).
          { id: 'wide', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${wide.url}/v1`, media_urls: 'any' },
          { id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: claude.url, api_key: 'sk-ant' },
        ],
        groups: [
          { name: 'local', deployments: ['vllm'] },
          { name: 'mixed', strategy: 'priority', deployments: ['vllm', 'wide'] },
          { name: 'claude', deployments: ['claude'] },
        ],
        ledger: { path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl'), journal: false },
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    ledger = await createLedger(parsed.config);
    server = await startServer(createGateway(parsed.config, { observers: [ledger.observer], admission: ledger.admission, priceOf: ledger.priceOf }), { port: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: server.url, apiKey: 'none', maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await ledger.close();
    await Promise.all([vllm, wide, claude].map((s) => s.close()));
  });

  const ledgerRows = async (): Promise<number> => {
    await ledger.flush();
    return (await ledger.store!.summarize({ from: 0, to: Date.now() + 1000, groupBy: ['deployment'] })).reduce((n, r) => n + r.attempts, 0);
  };

  const chatWithImage = (model: string, url: string) =>
    openai.chat.completions.create({ model, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url } }] }] });

  it('refuses an OpenAI chat image_url naming a link-local address with 400 naming the part; the upstream is not called, nothing is billed', async () => {
    const rows = await ledgerRows();
    const calls = vllm.stats.total;
    for (const url of [METADATA, 'http://2852039166/latest/meta-data/', 'http://0x7f.1:8000/v1/models', 'http://[::ffff:10.0.0.1]/x.png', 'http://localhost:11434/api/tags']) {
      const err = await chatWithImage('local', url).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err as InstanceType<typeof OpenAI.BadRequestError>).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'media_url_not_allowed', param: 'messages[0].content[1]' });
    }
    expect(vllm.stats.total).toBe(calls);
    expect(await ledgerRows()).toBe(rows);
  });

  it('refuses a Responses input_image on a private host with 400 media_url_not_allowed; the upstream is not called', async () => {
    const calls = vllm.stats.total;
    const err = await openai.responses
      .create({ model: 'local', input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: METADATA, detail: 'auto' }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err as InstanceType<typeof OpenAI.BadRequestError>).toMatchObject({ status: 400, code: 'media_url_not_allowed' });
    expect(vllm.stats.total).toBe(calls);
  });

  it('sends a public image URL to the self-hosted upstream unchanged, and bills it', async () => {
    const rows = await ledgerRows();
    const answer = await chatWithImage('local', PUBLIC_IMAGE);
    expect(await ledgerRows()).toBe(rows + 1);
    expect(answer.choices[0]?.message.content).toContain('Hello from');
    const sent = JSON.parse(vllm.lastRequest?.body.toString() ?? '{}') as { messages: Array<{ content: unknown }> };
    expect(sent.messages[0]?.content).toEqual([{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: PUBLIC_IMAGE } }]);
  });

  it('routes a private image URL past the deployments that refuse it to one whose media_urls is any', async () => {
    const calls = vllm.stats.total;
    const { response } = await chatWithImage('mixed', 'http://10.0.0.7/chart.png').withResponse();
    expect(response.headers.get('x-switchyard-deployment')).toBe('wide');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(vllm.stats.total).toBe(calls);
    expect(JSON.stringify(JSON.parse(wide.lastRequest?.body.toString() ?? '{}'))).toContain('http://10.0.0.7/chart.png');
  });

  it("refuses an Anthropic url image or document on a private host in the Messages API's error shape, naming the block", async () => {
    const rows = await ledgerRows();
    const calls = claude.stats.total;
    const blocks: Anthropic.ContentBlockParam[] = [
      { type: 'image', source: { type: 'url', url: 'http://[fd00:ec2::254]/latest/meta-data/' } },
      { type: 'document', source: { type: 'url', url: 'http://metadata.localhost/report.pdf' } },
    ];
    for (const block of blocks) {
      const err = await anthropic.messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'text', text: 'Read this.' }, block] }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      const body = (err as InstanceType<typeof Anthropic.BadRequestError>).error as { type: string; error: { type: string; message: string } };
      expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(body.error.message).toContain("'messages.0.content.1' is given by URL");
    }
    expect(claude.stats.total).toBe(calls);
    expect(await ledgerRows()).toBe(rows);
  });

  it('sends an Anthropic url image on a public host to Claude unchanged', async () => {
    const answer = await anthropic.messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'text', text: 'Look.' }, { type: 'image', source: { type: 'url', url: PUBLIC_IMAGE } }] }] });
    expect(answer.content[0]).toMatchObject({ type: 'text' });
    const sent = JSON.parse(claude.lastRequest?.body.toString() ?? '{}') as { messages: Array<{ content: unknown[] }> };
    expect(sent.messages[0]?.content[1]).toEqual({ type: 'image', source: { type: 'url', url: PUBLIC_IMAGE } });
  });
});
