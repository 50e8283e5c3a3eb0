import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.js';
import { isBodyStream, type HttpHandler, type HttpResponse } from '../http/exchange.js';
import { CHAT_DOOR } from './testing/chat-door.js';
import { MESSAGES_DOOR } from './testing/messages-door.js';
import type { ReplyDoor } from './testing/reply-door.js';
import { RESPONSES_DOOR } from './testing/responses-door.js';
import { prompt, startStallUpstream, type Stall, type StallCase, type StallUpstream } from './testing/stall-upstream.js';
import type { Wire } from './testing/upstream-seeds.js';
import { FORGIVING_ROUTING, wireApp, wireDeployments } from './testing/wire-app.js';

/*
 * The upstream fuzz spec's counterpart for time: every upstream wire format stalls in each way an
 * upstream can (`testing/stall-upstream.ts`: no headers, headers then silence, silence before or after
 * the first content, content trickled past the stream's length limit or a body past the attempt
 * timeout, the connection dropped before or after the first content or mid-body, half a body then
 * silence) under timeouts of tens of milliseconds, through the real transport, providers, gateway,
 * SQLite ledger and every front door. For every case: before the first byte of an answer, an error in
 * the door's shape with the timeout's 504 (a dropped connection's 502), or, in a group with a second
 * deployment, the second's answer; after it, the door's one error event ending the stream, or in a
 * `stream_resume` group the second deployment going on with it. The ledger holds one row per exchange
 * the upstream got, each failed one with its error kind and an estimated usage; the cost the client read
 * is the rows' sum; every socket the gateway gave up on is closed; and nothing is left in flight. A
 * client that leaves during a stall gets the same: its socket closed, one cancelled row, no gauge left.
 */

const PROJECT = 'timing-upstream';
const WIRES: readonly Wire[] = ['openai', 'azure', 'anthropic', 'gemini', 'bedrock'];
const DOORS: readonly ReplyDoor[] = [CHAT_DOOR, RESPONSES_DOOR, MESSAGES_DOOR];
/** Tens of ms; the deadline cuts a lone deployment's retry after a timeout short. */
const ROUTING = { attempt_timeout_ms: 150, ttft_timeout_ms: 150, stream_idle_timeout_ms: 100, stream_max_ms: 300, deadline_ms: 250 };
/** Cases in flight at once: enough to keep the run short, few enough that timers of tens of ms hold. */
const PARALLEL = 6;

/** Before the first byte of an answer: what the gateway can still take back and send elsewhere. */
const BEFORE_ANSWER: ReadonlySet<Stall> = new Set<Stall>(['no headers', 'headers then stall', 'stall before content', 'close before content', 'error then stall']);
const STREAM_STALLS: readonly Stall[] = ['no headers', 'headers then stall', 'stall before content', 'close before content', 'error then stall', 'stall after content', 'trickle', 'close mid-chunk'];
const JSON_STALLS: readonly Stall[] = ['no headers', 'headers then stall', 'trickle', 'close mid-chunk', 'body stalls half-way', 'error then stall'];

interface Run extends StallCase {
  id: number;
  door: ReplyDoor;
  /** Sent to `<wire>-chain`, whose second deployment answers whole, or `<wire>-resume`, which also goes on with a broken stream. */
  chained: false | 'chain' | 'resume';
}

/** What the client must get: a whole answer (`fallback` served it), a status, or a stream broken off. */
function expected(r: Run): { status: number; broken: boolean; kind: 'timeout' | 'network' | 'rate_limited' } {
  if (r.stall === 'error then stall') return { status: r.chained ? 200 : 429, broken: false, kind: 'rate_limited' };
  const kind = r.stall === 'close mid-chunk' || r.stall === 'close before content' ? 'network' : 'timeout';
  if (r.stream && !BEFORE_ANSWER.has(r.stall)) return { status: 200, broken: r.chained !== 'resume', kind };
  if (r.chained) return { status: 200, broken: false, kind };
  return { status: kind === 'timeout' ? 504 : 502, broken: false, kind };
}

/** The door's own terminal error event ends the stream. */
function brokenOff(door: ReplyDoor, text: string): boolean {
  if (door === CHAT_DOOR) return !text.includes('data: [DONE]') && /data: \{"error":/.test(text.trimEnd().split('\n\n').at(-1) ?? '');
  if (door === RESPONSES_DOOR) return text.includes('event: response.failed\n');
  return text.includes('event: error\n') && !text.includes('event: message_stop\n');
}

async function collect(answer: HttpResponse): Promise<string> {
  if (!isBodyStream(answer.body)) return typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body).toString('utf8');
  let text = '';
  for await (const chunk of answer.body) text += chunk;
  return text;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

describe('upstream stalls and timeouts through every front door', () => {
  let upstream: StallUpstream;
  let app: App;
  let handle: HttpHandler;
  let ledgerPath: string;
  const logged: string[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    upstream = await startStallUpstream();
    const url = upstream.url;
    const dir = mkdtempSync(join(tmpdir(), 'upstream-timing-'));
    ledgerPath = join(dir, 'ledger.sqlite');
    const wires = wireDeployments(url, PROJECT);
    ({ app, handle } = await wireApp(
      {
        // One case's 429 must not close its deployment to the next case.
        routing: { ...FORGIVING_ROUTING, ...ROUTING },
        ledger: { path: ledgerPath, spill_path: join(dir, 'spill.jsonl') },
        // Each wire's deployment twice: a deployment in two groups cannot also be asked for by its id.
        deployments: [...wires, ...wires.map((d) => ({ ...d, id: `${d.id}-resume` })), { id: 'backup', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${url}/backup/v1`, api_key: 'sk-test' }],
        groups: WIRES.flatMap((w) => [
          { name: `${w}-chain`, strategy: 'priority', deployments: [w, 'backup'] },
          { name: `${w}-resume`, strategy: 'priority', deployments: [`${w}-resume`, 'backup'], stream_resume: true, stream_extensions: false },
        ]),
      },
      PROJECT,
      logged,
    ));
  });

  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await app?.close();
    await upstream?.close();
  });

  interface Row {
    request_id: string;
    deployment: string;
    status: string;
    error_kind: string | null;
    prompt_tokens: number;
    completion_tokens: number;
    usage_estimated: number;
    cost_usd: number | null;
  }

  async function ledgerRows(of: App = app, path = ledgerPath): Promise<Row[]> {
    await of.flush();
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('SELECT request_id, deployment, status, error_kind, prompt_tokens, completion_tokens, usage_estimated, cost_usd FROM usage_events').all() as Row[];
    } finally {
      db.close();
    }
  }

  /** What is still in flight once every case is over: deployments' attempts, the request and deployment gauges. */
  async function inFlight(of: App = app): Promise<string[]> {
    const left: string[] = [];
    if (!(await until(() => of.gateway.status().deployments.every((d) => d.inFlight === 0), 1_000))) left.push(`deployments in flight: ${JSON.stringify(of.gateway.status().deployments.map((d) => [d.id, d.inFlight]))}`);
    const gauges = ((await of.metrics?.render()) ?? '').split('\n').filter((l) => /^switchyard_(requests|deployment)_in_flight/.test(l));
    if (gauges.length <= WIRES.length) left.push(`only ${gauges.length} in-flight gauge series`);
    for (const line of gauges) if (!line.endsWith(' 0')) left.push(`gauge ${line}`);
    return left;
  }

  it('answers each stall in the door\'s shape, bills each exchange once, closes the socket and leaves nothing in flight', async () => {
    const runs: Run[] = [];
    for (const door of DOORS) {
      for (const wire of WIRES) {
        for (const stream of [true, false]) {
          for (const stall of stream ? STREAM_STALLS : JSON_STALLS) {
            const chains = [false, stream && !BEFORE_ANSWER.has(stall) ? 'resume' : 'chain'] as const;
            for (const chained of chains) runs.push({ id: upstream.add({ wire, stall, stream }), door, wire, stall, stream, chained });
          }
        }
      }
    }
    const bad: string[] = [];
    /** Request id → the run, the cost the client read and whether it got bytes of an answer. */
    const answered = new Map<string, { run: Run; cost: string | undefined; label: string; answer: boolean }>();

    const one = async (r: Run): Promise<void> => {
      const label = `${r.door.name} ${r.wire} ${r.stream ? 'stream' : 'json'} ${r.stall}${r.chained ? ` (${r.chained})` : ''}`;
      const body = JSON.stringify(r.door.request(r.chained ? `${r.wire}-${r.chained}` : r.wire, r.stream, false)).replace('"Hi"', JSON.stringify(prompt(r.id)));
      const res = await handle({ method: 'POST', path: r.door.path, query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(body), signal: new AbortController().signal });
      const text = await collect(res);
      const cost = res.headers['x-switchyard-cost-usd'] ?? res.trailers?.()?.['x-switchyard-cost-usd'];
      const want = expected(r);
      answered.set(res.headers['x-request-id'] ?? label, { run: r, cost, label, answer: res.status === 200 });
      if (res.status !== want.status) return void bad.push(`${label}: status ${res.status}, not ${want.status}: ${text.slice(0, 300)}`);
      const problem = res.status !== 200 ? r.door.errorProblem(JSON.parse(text)) : r.stream ? r.door.streamProblem(text) : r.door.answerProblem(JSON.parse(text) as Record<string, unknown>);
      if (problem !== undefined) bad.push(`${label}: ${problem}: ${text.slice(-300)}`);
      if (r.stream && res.status === 200 && brokenOff(r.door, text) !== want.broken) bad.push(`${label}: ${want.broken ? 'not broken off by an error event' : 'broken off'}: ${text.slice(-300)}`);
      const mine = upstream.exchanges.filter((e) => e.caseId === r.id);
      const backups = mine.filter((e) => e.path.startsWith('/backup')).length;
      const fallback = r.chained && want.status === 200 && !want.broken ? 1 : 0;
      if (backups !== fallback) bad.push(`${label}: ${backups} exchanges with the second deployment, not ${fallback}`);
      if (!(await until(() => mine.every((e) => e.path.startsWith('/backup') || e.closed), 1_000))) bad.push(`${label}: an upstream socket the gateway gave up on is still open`);
    };

    // A 429 cools its deployment (for 1 ms): the cases that answer one run last, so no other case is planned around it.
    for (const phase of [runs.filter((r) => r.stall !== 'error then stall'), runs.filter((r) => r.stall === 'error then stall')]) {
      const queue = [...phase];
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let r = queue.shift(); r !== undefined; r = queue.shift()) await one(r);
        }),
      );
    }

    const rows = await ledgerRows();
    for (const [id, a] of answered) {
      const mine = rows.filter((row) => row.request_id === id);
      const hits = upstream.exchanges.filter((e) => e.caseId === a.run.id).length;
      if (mine.length !== hits) bad.push(`${a.label}: ${hits} exchange(s) upstream, ${mine.length} ledger row(s)`);
      const want = expected(a.run);
      for (const row of mine.filter((x) => x.deployment !== 'backup')) {
        if (row.status !== 'error' || row.error_kind !== want.kind) bad.push(`${a.label}: a row ${row.status} ${String(row.error_kind)}, not error ${want.kind}`);
        // An error answer is not billed; an attempt the upstream was answering (or may have been) is, by estimate.
        const billed = want.kind !== 'rate_limited';
        if (billed ? row.usage_estimated !== 1 || row.prompt_tokens <= 0 : row.prompt_tokens !== 0) bad.push(`${a.label}: a failed attempt's row with usage ${row.prompt_tokens}, estimated ${row.usage_estimated}`);
        if (want.broken && row.completion_tokens <= 0) bad.push(`${a.label}: a broken stream's row bills no completion`);
      }
      for (const row of mine.filter((x) => x.deployment === 'backup')) if (row.status !== 'ok') bad.push(`${a.label}: the second deployment's row is ${row.status}`);
      const sum = mine.reduce((s, row) => s + (row.cost_usd ?? Number.NaN), 0);
      if (a.answer && a.cost === undefined) bad.push(`${a.label}: an answer without x-switchyard-cost-usd`);
      if (a.cost !== undefined && Math.abs(Number(a.cost) - sum) > 1e-12) bad.push(`${a.label}: cost ${a.cost}, the ledger's rows ${sum}`);
    }

    bad.push(...(await inFlight()));
    expect(bad.slice(0, 30)).toEqual([]);
    expect(answered.size).toBe(runs.length);
    expect(logged.slice(0, 5)).toEqual([]);
    expect(rejections).toEqual([]);
  }, 30_000);

  it('closes the upstream socket, bills the attempt once as cancelled and leaves nothing in flight when the client leaves during a stall', async () => {
    const stalls: ReadonlyArray<[boolean, Stall]> = [[false, 'no headers'], [false, 'body stalls half-way'], [true, 'headers then stall'], [true, 'stall after content']];
    // An app of its own whose timeouts are far past the client's leaving: on a loaded machine the suite's
    // tens of ms fired first, and the spec saw a timeout where it meant a cancellation.
    const dir = mkdtempSync(join(tmpdir(), 'upstream-timing-leave-'));
    const leavePath = join(dir, 'ledger.sqlite');
    const patient = await wireApp(
      { routing: { allow_direct_deployments: true }, ledger: { path: leavePath, spill_path: join(dir, 'spill.jsonl') }, deployments: wireDeployments(upstream.url, PROJECT) },
      PROJECT,
      logged,
    );
    const bad: string[] = [];
    const left = new Map<string, { id: number; label: string }>();
    const leave = async (door: ReplyDoor, wire: Wire, stream: boolean, stall: Stall): Promise<void> => {
      const id = upstream.add({ wire, stall, stream });
      const label = `${door.name} ${wire} ${stream ? 'stream' : 'json'} ${stall}`;
      const client = new AbortController();
      // Once the upstream has the request and is stalling (well inside every timeout), the client goes.
      const gone = until(() => upstream.exchanges.some((e) => e.caseId === id), 1_000).then(() => new Promise<void>((resolve) => setTimeout(() => resolve(client.abort()), 20)));
      const body = JSON.stringify(door.request(wire, stream, false)).replace('"Hi"', JSON.stringify(prompt(id)));
      const res = await patient.handle({ method: 'POST', path: door.path, query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(body), signal: client.signal });
      left.set(res.headers['x-request-id'] ?? label, { id, label });
      if (stall === 'stall after content' && res.status !== 200) bad.push(`${label}: status ${res.status}: the client left before its answer began`);
      // As the Node adapter does when the client's connection closes: it stops reading the answer.
      if (isBodyStream(res.body)) {
        const frames = res.body[Symbol.asyncIterator]();
        for (let open = true; open; ) open = await Promise.race([frames.next().then((n) => n.done !== true), gone.then(() => false)]);
        await frames.return?.();
      }
      const mine = upstream.exchanges.filter((e) => e.caseId === id);
      if (mine.length === 0) bad.push(`${label}: never reached the upstream`);
      if (!(await until(() => mine.every((e) => e.closed), 1_000))) bad.push(`${label}: the upstream socket is still open after the client left`);
    };
    try {
      await Promise.all(DOORS.flatMap((door) => WIRES.flatMap((wire) => stalls.map(([stream, stall]) => leave(door, wire, stream, stall)))));
      const rows = await ledgerRows(patient.app, leavePath);
      for (const [requestId, l] of left) {
        const mine = rows.filter((row) => row.request_id === requestId);
        const hits = upstream.exchanges.filter((e) => e.caseId === l.id).length;
        if (mine.length !== hits) bad.push(`${l.label}: ${hits} exchange(s) upstream, ${mine.length} ledger row(s)`);
        for (const row of mine) {
          if (row.status !== 'cancelled') bad.push(`${l.label}: a row ${row.status}, not cancelled`);
          if (row.usage_estimated !== 1 || row.prompt_tokens <= 0) bad.push(`${l.label}: a cancelled attempt's row with usage ${row.prompt_tokens}, estimated ${row.usage_estimated}`);
        }
      }
      bad.push(...(await inFlight(patient.app)));
    } finally {
      await patient.app.close();
    }
    expect(bad.slice(0, 30)).toEqual([]);
    expect(left.size).toBe(DOORS.length * WIRES.length * stalls.length);
    expect(logged.slice(0, 5)).toEqual([]);
    expect(rejections).toEqual([]);
  }, 15_000);
});
