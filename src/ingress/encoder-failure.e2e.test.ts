import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../app.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { resolveConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { StreamPart } from '../core/types.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { MessagesStreamEncoder } from './anthropic-messages/stream.js';
import { ChatStreamEncoder } from './openai-chat/stream.js';
import { ResponsesStreamEncoder } from './openai-responses/stream.js';
import { anthropicShapeProblem, openAIShapeProblem } from './testing/error-shapes.js';

/** What a door's encoder throws in these specs: a bug of ours, whose words must reach the log only. */
const BUG = new TypeError('cannot encode part: secret-internal-detail');

interface Frame {
  event: string | undefined;
  data: string;
}

const framesOf = (raw: string): Frame[] =>
  raw
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((f) => ({ event: /^event: (.*)$/m.exec(f)?.[1], data: /^data: (.*)$/m.exec(f)?.[1] ?? '' }));

/** A door: its encoder, a streamed request to it, and how its stream must end after a failure (a problem, or undefined). */
const DOORS = [
  {
    door: 'chat completions',
    encoder: ChatStreamEncoder.prototype,
    path: '/v1/chat/completions',
    body: (model: string, ask: string) => ({ model, temperature: 0, messages: [{ role: 'user', content: ask }], stream: true, stream_options: { include_usage: true } }),
    endProblem: (frames: Frame[]): string | undefined => {
      const last = frames.at(-1);
      if (frames.some((f) => f.data === '[DONE]')) return 'sent [DONE]';
      return openAIShapeProblem(JSON.parse(last?.data ?? 'null'));
    },
  },
  {
    door: 'responses',
    encoder: ResponsesStreamEncoder.prototype,
    path: '/v1/responses',
    body: (model: string, ask: string) => ({ model, temperature: 0, input: ask, stream: true, store: false }),
    endProblem: (frames: Frame[]): string | undefined => {
      const [error, failed] = frames.slice(-2).map((f) => ({ event: f.event, data: JSON.parse(f.data) as Record<string, unknown> }));
      if (error?.event !== 'error' || error.data.message !== 'Internal gateway error.') return 'no error event';
      return failed?.event === 'response.failed' && (failed.data.response as { status?: string }).status === 'failed' ? undefined : 'no response.failed';
    },
  },
  {
    door: 'messages',
    encoder: MessagesStreamEncoder.prototype,
    path: '/v1/messages',
    body: (model: string, ask: string) => ({ model, temperature: 0, max_tokens: 256, messages: [{ role: 'user', content: ask }], stream: true }),
    endProblem: (frames: Frame[]): string | undefined => {
      const last = frames.at(-1);
      return last?.event === 'error' ? anthropicShapeProblem(JSON.parse(last.data)) : 'no error event';
    },
  },
];

/**
 * Which part the encoder cannot encode, and from which upstream (a group): one mid-answer, the finish, the
 * usage part however it came (the upstream's after its finish; the gateway's estimate of an upstream that
 * sent none; the upstream's sent before its finish, held to the end), or the closing frames (`end()`,
 * where the Messages and Responses doors write the usage and the stop). `estimated`: the row's flag.
 */
const FAILURES = [
  { on: 'the second text part', group: 'chat', estimated: 1, when: (() => { let texts = 0; return (p: StreamPart) => p.type === 'text' && ++texts === 2; }) },
  { on: 'the usage part', group: 'chat', estimated: 0, when: () => (p: StreamPart) => p.type === 'usage' },
  { on: 'the finish part of an upstream that sent no usage', group: 'no-usage', estimated: 1, when: () => (p: StreamPart) => p.type === 'finish' },
  { on: 'the estimated usage part of an upstream that sent none', group: 'no-usage', estimated: 1, when: () => (p: StreamPart) => p.type === 'usage' },
  { on: 'the usage part an upstream sent before its finish', group: 'early-usage', estimated: 0, when: () => (p: StreamPart) => p.type === 'usage' },
  { on: 'the closing frames', group: 'chat', estimated: 0, when: 'end' as const },
  { on: 'the closing frames of an upstream that sent no usage', group: 'no-usage', estimated: 1, when: 'end' as const },
];

/** An OpenAI-compatible upstream streaming a short answer without usage (`/no-usage`), or with its usage before the finish (`/early-usage`). */
function startBareUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    const chunk = (delta: Record<string, unknown>, finish: string | null): string => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'bare', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const usage = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'bare', choices: [], usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 } })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: '' }, null) + chunk({ content: 'Routers ' }, null) + chunk({ content: 'forward packets.' }, null));
    res.end((req.url?.startsWith('/early-usage') ? usage : '') + chunk({}, 'stop') + 'data: [DONE]\n\n');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * A door whose stream encoder throws mid-answer (a bug, or a part it cannot encode) ends the stream as an
 * upstream break after content does: the door's error event (no internals), the attempt in the ledger
 * once, the cost trailer its row's cost, and an internal error logged with its cause.
 */
describe('a stream whose encoder fails mid-answer', () => {
  let sim: SimServer;
  let bare: Server;
  let app: App;
  let server: RunningServer;
  let ledgerPath: string;
  const logged: Array<{ msg: string; err: unknown }> = [];
  const logger: Logger = { ...silentLogger, child: () => logger, error: (obj, msg) => void logged.push({ msg: msg ?? '', err: (obj as { err?: unknown }).err }) };

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'primary', models: ['gpt-4o'] });
    bare = await startBareUpstream();
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'encoder-failure-'));
    ledgerPath = join(dir, 'ledger.sqlite');
    const config = resolveConfig({
      deployments: [
        { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o', endpoint: `${sim.url}/v1` },
        { id: 'no-usage', provider: 'openai-compatible', model: 'gpt-4o', endpoint: `${bareUrl}/no-usage` },
        { id: 'early-usage', provider: 'openai-compatible', model: 'gpt-4o', endpoint: `${bareUrl}/early-usage` },
      ],
      groups: [
        { name: 'chat', deployments: ['primary'] },
        { name: 'no-usage', deployments: ['no-usage'] },
        { name: 'early-usage', deployments: ['early-usage'] },
      ],
      ledger: { path: ledgerPath, spill_path: join(dir, 'spill.jsonl') },
    });
    app = await createApp(config, { logger });
    server = await startServer(app.gateway, { ...app.handlerOptions, port: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await sim.close();
    await new Promise((resolve) => bare.close(resolve));
  });

  afterEach(() => {
    vi.restoreAllMocks();
    logged.length = 0;
  });

  async function ledgerRows(requestId: string): Promise<Array<{ cost_usd: number; usage_estimated: number; status: string; error_kind: string | null }>> {
    await app.flush();
    const db = new Database(ledgerPath, { readonly: true });
    try {
      return db.prepare('SELECT cost_usd, usage_estimated, status, error_kind FROM usage_events WHERE request_id = ?').all(requestId) as Array<{ cost_usd: number; usage_estimated: number; status: string; error_kind: string | null }>;
    } finally {
      db.close();
    }
  }

  let asked = 0;
  for (const d of DOORS) {
    for (const f of FAILURES) {
      for (const cached of [false, true]) {
        it(`${d.door}: failing on ${f.on}${cached ? ', with the response cache on' : ''}, ends with the door's error event, one error row in the ledger and the cost trailer of that row${cached ? ', and caches nothing' : ''}`, async () => {
          const original = { part: d.encoder.part, end: d.encoder.end };
          const cannotEncode = f.when === 'end' ? undefined : f.when();
          const spy = cannotEncode
            ? vi.spyOn(d.encoder, 'part').mockImplementation(function (this: typeof d.encoder, part: StreamPart) {
                if (cannotEncode(part)) throw BUG;
                return original.part.call(this, part);
              })
            : vi.spyOn(d.encoder, 'end').mockImplementation(() => {
                throw BUG;
              });
          // A prompt of its own: the cache must not answer one test with another's stream.
          const body = JSON.stringify(d.body(f.group, `Tell me something about routers, please (${++asked}).`));
          const headers = { 'content-type': 'application/json', ...(d.door === 'messages' ? { 'anthropic-version': '2023-06-01' } : {}), ...(cached ? { 'x-switchyard-cache': 'on' } : {}) };
          const res = await request(`${server.url}${d.path}`, { method: 'POST', headers, body });
          expect(res.statusCode).toBe(200);
          const raw = await res.body.text();
          expect(d.endProblem(framesOf(raw))).toBeUndefined();
          expect(raw).not.toContain('secret-internal-detail');

          const rows = await ledgerRows(String(res.headers['x-request-id']));
          expect(rows.map((r) => [r.status, r.error_kind])).toEqual([['error', 'internal']]);
          expect(rows[0]?.cost_usd).toBeGreaterThan(0);
          expect(Number(res.trailers['x-switchyard-cost-usd'])).toBeCloseTo(rows[0]?.cost_usd ?? Number.NaN, 10);
          expect(rows[0]?.usage_estimated).toBe(f.estimated);
          expect(res.trailers['x-switchyard-usage-estimated']).toBe(f.estimated === 1 ? 'true' : undefined);

          expect(logged.map((l) => l.msg)).toEqual(['internal error']);
          expect(String(logged[0]?.err)).toContain(BUG.stack);

          if (cached) {
            // The stream the client got as an error was not stored: the same request goes upstream again.
            spy.mockRestore();
            const again = await request(`${server.url}${d.path}`, { method: 'POST', headers, body });
            await again.body.text();
            expect(again.headers['x-switchyard-cache']).toBe('miss');
          }
        });
      }
    }
  }
});
