import { mkdtempSync } from 'node:fs';
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
    body: { model: 'chat', messages: [{ role: 'user', content: 'Tell me something about routers, please.' }], stream: true, stream_options: { include_usage: true } },
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
    body: { model: 'chat', input: 'Tell me something about routers, please.', stream: true, store: false },
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
    body: { model: 'chat', max_tokens: 256, messages: [{ role: 'user', content: 'Tell me something about routers, please.' }], stream: true },
    endProblem: (frames: Frame[]): string | undefined => {
      const last = frames.at(-1);
      return last?.event === 'error' ? anthropicShapeProblem(JSON.parse(last.data)) : 'no error event';
    },
  },
];

/** Which part the encoder cannot encode: one mid-answer (the usage then the gateway's estimate), or the upstream's usage itself. */
const FAILURES = [
  { on: 'the second text part', estimated: 1, when: (() => { let texts = 0; return (p: StreamPart) => p.type === 'text' && ++texts === 2; }) },
  { on: 'the usage part', estimated: 0, when: () => (p: StreamPart) => p.type === 'usage' },
];

/**
 * A door whose stream encoder throws mid-answer (a bug, or a part it cannot encode) ends the stream as an
 * upstream break after content does: the door's error event (no internals), the attempt in the ledger
 * once, the cost trailer its row's cost, and an internal error logged with its cause.
 */
describe('a stream whose encoder fails mid-answer', () => {
  let sim: SimServer;
  let app: App;
  let server: RunningServer;
  let ledgerPath: string;
  const logged: Array<{ msg: string; err: unknown }> = [];
  const logger: Logger = { ...silentLogger, child: () => logger, error: (obj, msg) => void logged.push({ msg: msg ?? '', err: (obj as { err?: unknown }).err }) };

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'primary', models: ['gpt-4o'] });
    const dir = mkdtempSync(join(tmpdir(), 'encoder-failure-'));
    ledgerPath = join(dir, 'ledger.sqlite');
    const config = resolveConfig({
      deployments: [{ id: 'primary', provider: 'openai-compatible', model: 'gpt-4o', endpoint: `${sim.url}/v1` }],
      groups: [{ name: 'chat', deployments: ['primary'] }],
      ledger: { path: ledgerPath, spill_path: join(dir, 'spill.jsonl') },
    });
    app = await createApp(config, { logger });
    server = await startServer(app.gateway, { ...app.handlerOptions, port: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await sim.close();
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

  for (const d of DOORS) {
    for (const f of FAILURES) {
      it(`${d.door}: failing on ${f.on}, ends with the door's error event, one ledger row and the cost trailer of that row`, async () => {
        const original = d.encoder.part;
        const cannotEncode = f.when();
        vi.spyOn(d.encoder, 'part').mockImplementation(function (this: typeof d.encoder, part: StreamPart) {
          if (cannotEncode(part)) throw BUG;
          return original.call(this, part);
        });
        const res = await request(`${server.url}${d.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(d.body) });
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
        expect(logged[0]?.err).toContain(BUG.stack);
      });
    }
  }
});
