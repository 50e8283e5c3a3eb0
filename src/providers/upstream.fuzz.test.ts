import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.js';
import { isBodyStream, type HttpHandler, type HttpResponse } from '../http/exchange.js';
import { CHAT_DOOR } from './testing/chat-door.js';
import { MESSAGES_DOOR } from './testing/messages-door.js';
import { mutatedReplies, validReplies, type MutatedReply } from './testing/reply-mutate.js';
import { MAX_COUNT, type ReplyDoor, type Served } from './testing/reply-door.js';
import { RESPONSES_DOOR } from './testing/responses-door.js';
import { REPLY_SEEDS, type Wire } from './testing/upstream-seeds.js';
import { FORGIVING_ROUTING, wireApp, wireDeployments } from './testing/wire-app.js';

/*
 * Every upstream wire format (OpenAI and Azure chat completions, Anthropic Messages, Gemini
 * generateContent and its SSE stream, Bedrock Converse and ConverseStream's event-stream frames) answers
 * seeded mutations of valid replies (`testing/reply-mutate.ts`) from a loopback server, through the real
 * transport, provider and dialect, the gateway (with its SQLite ledger) and the runtime-neutral handler's
 * front doors (`DOORS`: OpenAI chat completions, OpenAI Responses, Anthropic Messages), JSON and
 * streamed. For every case: no 5xx but 502, 503 or 504, every error in the door's shape and none an
 * internal one; no upstream text (a planted canary) in an error the client reads; an answer and a stream
 * as the door's own API writes them, a stream ended honestly (each door's invariants: `testing/*-door.ts`);
 * no internal error logged and no unhandled rejection; and the ledger holds one row per attempt the
 * upstream received, its counts whole, finite and not negative, and those a served answer told. SWITCHYARD_FUZZ_SEED
 * and SWITCHYARD_FUZZ_CASES (per wire format and door) explore beyond the fixed run.
 */

const SEED = Number(process.env.SWITCHYARD_FUZZ_SEED ?? 20_261_203);
const CASES = Number(process.env.SWITCHYARD_FUZZ_CASES ?? 160);
const PROJECT = 'fuzz-upstream';
const WIRES: readonly Wire[] = ['openai', 'azure', 'anthropic', 'gemini', 'bedrock'];

/** Each front door the replies are read through: one row (`testing/reply-door.ts`) per door. */
const DOORS: readonly ReplyDoor[] = [CHAT_DOOR, RESPONSES_DOOR, MESSAGES_DOOR];

interface Outcome {
  status: number;
  body: string;
  contentType: string | undefined;
  /** `x-switchyard-cost-usd`: the header of an answer, the trailer of a stream. */
  cost: string | undefined;
}

async function collect(answer: HttpResponse): Promise<string> {
  if (!isBodyStream(answer.body)) return typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body).toString('utf8');
  let text = '';
  for await (const chunk of answer.body) text += chunk;
  return text;
}

/** What is wrong with the client's answer through `door`, or undefined. */
function answerProblem(door: ReplyDoor, o: Outcome, stream: boolean): string | undefined {
  if (o.status >= 500 && !door.serverStatuses.includes(o.status)) return `status ${o.status}`;
  if (o.status !== 200) {
    if (o.status < 400) return `status ${o.status}`;
    if (o.contentType !== 'application/json') return `content-type ${o.contentType}`;
    try {
      return door.errorProblem(JSON.parse(o.body));
    } catch {
      return 'error body is not JSON';
    }
  }
  // No reply holds invalid UTF-8: a replacement character is a character cut between two reads and lost.
  if (o.body.includes('\ufffd')) return 'a replacement character in the answer';
  if (stream) return o.contentType === 'text/event-stream; charset=utf-8' ? door.streamProblem(o.body) : `stream content-type ${o.contentType}`;
  try {
    return door.answerProblem(JSON.parse(o.body) as Record<string, unknown>);
  } catch {
    return 'answer is not JSON';
  }
}

function served(door: ReplyDoor, o: Outcome, stream: boolean): Served {
  return o.status === 200 ? door.served(o.body, stream) : { served: false, usage: undefined };
}

describe('mutated upstream replies through every front door', () => {
  let server: Server;
  let app: App;
  let handle: HttpHandler;
  let ledgerPath: string;
  let reply: MutatedReply | undefined;
  let hits = 0;
  const logged: string[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(reason);
  /** Request id → attempts the upstream received, checked against the ledger at the end. */
  const attempts = new Map<string, { hits: number; label: string; cost: string | undefined } & Served>();
  let missing = 0;

  function answer(res: ServerResponse, r: MutatedReply): void {
    res.writeHead(r.status, r.headers);
    const pieces = [...r.chunks];
    const next = (): void => {
      const piece = pieces.shift();
      if (piece === undefined) {
        if (r.drop) res.socket?.destroy();
        else res.end();
        return;
      }
      res.write(piece);
      setImmediate(next);
    };
    next();
  }

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hits += 1;
        if (reply === undefined) res.writeHead(500).end();
        else answer(res, reply);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'upstream-fuzz-'));
    ledgerPath = join(dir, 'ledger.sqlite');
    ({ app, handle } = await wireApp(
      {
        routing: {
          // One case's failures must not close a deployment to the next case.
          ...FORGIVING_ROUTING,
          attempt_timeout_ms: 3_000,
          ttft_timeout_ms: 3_000,
          stream_idle_timeout_ms: 3_000,
        },
        ledger: { path: ledgerPath, spill_path: join(dir, 'spill.jsonl') },
        deployments: wireDeployments(url, PROJECT),
        // Both speak OpenAI's wire: a failure of the first falls back to the second, which gets the same reply.
        groups: [{ name: 'openai-chain', strategy: 'priority', deployments: ['openai', 'azure'] }],
      },
      PROJECT,
      logged,
    ));
  });

  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await app.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function send(door: ReplyDoor, model: string, r: MutatedReply, rich: boolean): Promise<Outcome> {
    reply = r;
    const before = hits;
    const body = door.request(model, r.stream, rich);
    const res = await handle({ method: 'POST', path: door.path, query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), signal: new AbortController().signal });
    const text = await collect(res);
    const o = { status: res.status, body: text, contentType: res.headers['content-type'], cost: res.headers['x-switchyard-cost-usd'] ?? res.trailers?.()?.['x-switchyard-cost-usd'] };
    const label = `${door.name} ${r.label}${rich ? ' (rich)' : ''}`;
    attempts.set(res.headers['x-request-id'] ?? `missing ${(missing += 1)}`, { hits: hits - before, label, cost: o.cost, ...served(door, o, r.stream) });
    return o;
  }

  for (const [d, door] of DOORS.entries()) {
    describe(door.name, () => {
      it('answers every seed as it is (the fuzzer starts from replies the gateway takes)', async () => {
        const bad: string[] = [];
        for (const rich of [false, true]) {
          for (const wire of WIRES) {
            for (const r of validReplies(wire, REPLY_SEEDS[wire])) {
              const o = await send(door, wire, r, rich);
              const label = `${r.label}${rich ? ' (rich)' : ''}`;
              if (served(door, o, r.stream).served !== r.ok) bad.push(`${label}: ${o.status} ${o.body.slice(0, 300)}`);
              const problem = answerProblem(door, o, r.stream);
              if (problem !== undefined) bad.push(`${label}: ${problem}: ${o.body.slice(0, 300)}`);
            }
          }
        }
        expect(bad).toEqual([]);
      });

      for (const [w, wire] of WIRES.entries()) {
        it(`${wire}: no 500, errors in the door's shape without upstream text, streams ended honestly`, async () => {
          const bad: string[] = [];
          // The chat door keeps the seeds it always had; each other door explores its own.
          for (const [i, r] of mutatedReplies(SEED + 10 * d + w, CASES, wire, REPLY_SEEDS[wire]).entries()) {
            // Every third case asks for the door's richer paths; odd OpenAI cases go to a fallback group.
            const o = await send(door, wire === 'openai' && i % 2 === 1 ? 'openai-chain' : wire, r, i % 3 === 2);
            const problem = answerProblem(door, o, r.stream);
            if (problem !== undefined) bad.push(`${r.label}${i % 3 === 2 ? ' (rich)' : ''}: ${problem}: ${o.status} ${o.body.slice(-300)}`);
          }
          expect(bad.slice(0, 20)).toEqual([]);
          expect(logged.slice(0, 5)).toEqual([]);
          expect(rejections).toEqual([]);
        }, 60_000);
      }
    });
  }

  it('records one ledger row per attempt the upstream received, with whole, finite, non-negative counts', async () => {
    await app.flush();
    const db = new Database(ledgerPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT request_id, status, prompt_tokens, completion_tokens, cached_read_tokens, cached_write_tokens, reasoning_tokens, total_tokens, cost_usd FROM usage_events').all() as Array<Record<string, number | string | null>>;
      const byRequest = new Map<string, number>();
      const bad: string[] = [];
      for (const row of rows) {
        const id = String(row.request_id);
        byRequest.set(id, (byRequest.get(id) ?? 0) + 1);
        const a = attempts.get(id);
        if (row.status === 'ok' && a !== undefined) {
          if (!a.served) bad.push(`${a.label}: an attempt recorded ok for an answer the client did not get`);
          const told = a.usage === undefined ? undefined : [a.usage.prompt, a.usage.completion, a.usage.total].join();
          const has = [row.prompt_tokens, row.completion_tokens, a.usage?.total === undefined ? undefined : row.total_tokens].join();
          if (told !== undefined && told !== has) bad.push(`${a.label}: the client was told usage ${told}, the ledger has ${has}`);
        }
        for (const [k, v] of Object.entries(row)) {
          if (k === 'request_id' || k === 'status' || (k === 'cost_usd' && v === null)) continue;
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (k !== 'cost_usd' && v > 2 * MAX_COUNT)) bad.push(`${attempts.get(id)?.label ?? id}: ${k} ${String(v)}`);
        }
      }
      const costs = new Map<string, number>();
      for (const row of rows) costs.set(String(row.request_id), (costs.get(String(row.request_id)) ?? 0) + Number(row.cost_usd ?? Number.NaN));
      for (const [id, a] of attempts) {
        if (a.served && a.cost !== undefined && Math.abs(Number(a.cost) - (costs.get(id) ?? 0)) > 1e-9) bad.push(`${a.label}: cost ${a.cost}, the ledger's rows ${costs.get(id)}`);
      }
      const ok = new Set(rows.filter((r) => r.status === 'ok').map((r) => String(r.request_id)));
      for (const [id, a] of attempts) if (a.served && !ok.has(id)) bad.push(`${a.label}: an answer the client got, recorded as no ok attempt`);
      for (const [id, a] of attempts) if ((byRequest.get(id) ?? 0) !== a.hits) bad.push(`${a.label}: ${a.hits} attempt(s) upstream, ${byRequest.get(id) ?? 0} ledger row(s)`);
      expect(attempts.size).toBeGreaterThan(DOORS.length * WIRES.length * CASES);
      expect(bad.slice(0, 20)).toEqual([]);
    } finally {
      db.close();
    }
  });
});
