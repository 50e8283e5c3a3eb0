import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import pg from 'pg';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { createApp } from '../../app.js';
import { resolveConfig } from '../../config/load.js';
import { DATABASE_URL, testSchema } from '../../ledger/testing/fixtures.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { refusal } from './testing/stored-doors.js';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const MISSING = `resp_${'0'.repeat(32)}`;
/** Five input items, one of each kind the door takes but reasoning. */
const INPUT: OpenAI.Responses.ResponseInput = [
  { role: 'developer', content: 'Answer briefly.' },
  { role: 'user', content: 'What is the weather in Paris?' },
  { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"query":"Paris"}' },
  { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
  { role: 'user', content: [{ type: 'input_text', text: 'And this?' }, { type: 'input_image', image_url: PNG, detail: 'low' }] },
];

/** The ledger config of each store a stored response can live in; PostgreSQL only with DATABASE_URL. */
const STORES: Array<[string, (dir: string) => Record<string, unknown>]> = [
  ['memory', () => ({ enabled: false })],
  ['SQLite', (dir) => ({ store: 'sqlite', path: join(dir, 'ledger.sqlite'), journal: false, spill_path: join(dir, 'spill.jsonl') })],
];
const schema = testSchema('stored_routes');
if (DATABASE_URL) STORES.push(['PostgreSQL', (dir) => ({ store: 'postgres', url: DATABASE_URL, schema, journal: false, spill_path: join(dir, 'spill.jsonl') })]);

interface Served {
  url: string;
  client: OpenAI;
  other: OpenAI;
  close(): Promise<void>;
}

async function serve(sim: SimServer, ledger: Record<string, unknown>, store: boolean): Promise<Served> {
  const config = resolveConfig(
    {
      deployments: [{ id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: 'sk-test' }],
      groups: [{ name: 'chat', deployments: ['openai'] }],
      api_keys: [
        { id: 'one', key: 'key-one' },
        { id: 'two', key: 'key-two' },
      ],
      ledger,
      responses: { store: { enabled: store } },
    },
    {},
  );
  const app = await createApp(config);
  const server: RunningServer = await startServer(app.gateway, { ...app.serverOptions, port: 0, onClose: () => app.close() });
  const client = (key: string): OpenAI => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });
  return { url: server.url, client: client('key-one'), other: client('key-two'), close: () => server.shutdown(100) };
}


const notFound = (id: string): { status: number; error: Record<string, unknown> } => ({
  status: 404,
  error: { message: `No response found with id '${id}'.`, type: 'invalid_request_error', param: null, code: 'response_not_found' },
});

/** A DELETE as the wire has it: its status and body (the SDK's `delete` returns nothing). */
async function deleteRaw(url: string, key: string, id: string): Promise<[number, unknown]> {
  const res = await fetch(`${url}/v1/responses/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
  return [res.status, await res.json()];
}

describe.each(STORES)('stored responses read back and deleted, in %s, through the server and the official SDK', (_name, ledger) => {
  let sim: SimServer;
  let dir: string;
  let served: Served;

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-test' });
    dir = mkdtempSync(join(tmpdir(), 'stored-routes-'));
    served = await serve(sim, ledger(dir), true);
  });

  afterAll(async () => {
    await served.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retrieves a response byte for byte as it was answered', async () => {
    const { client } = served;
    const answered = await client.responses.create({ model: 'chat', instructions: 'Be brief.', input: 'Hi there', metadata: { case: 'retrieve' } }).asResponse();
    const text = await answered.text();
    const id = (JSON.parse(text) as { id: string }).id;
    const raw = await client.responses.retrieve(id).asResponse();
    expect(raw.headers.get('cache-control')).toBe('no-store');
    expect(await raw.text()).toBe(text);
    const retrieved = await client.responses.retrieve(id);
    expect(retrieved).toEqual({ ...(JSON.parse(text) as object), output_text: retrieved.output_text });
    expect(retrieved.output_text).toContain('You said: Hi there.');
  });

  it("retrieves a streamed response as its response.completed event's response", async () => {
    const { client, url } = served;
    const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { authorization: 'Bearer key-one' }, body: JSON.stringify({ model: 'chat', input: 'Hi there', stream: true }) });
    const frames = (await res.text()).split('\n\n').filter((f) => f.startsWith('event: response.completed'));
    const completed = (JSON.parse(frames[0]?.split('\ndata: ')[1] ?? 'null') as { response: { id: string } }).response;
    const retrieved = await client.responses.retrieve(completed.id);
    expect(retrieved).toEqual({ ...completed, output_text: retrieved.output_text });
    expect(retrieved.output_text).toContain('You said: Hi there.');
  });

  it('lists the input items newest first, in the API item shapes, images only with include, in pages the SDK follows', async () => {
    const { client } = served;
    const created = await client.responses.create({ model: 'chat', input: INPUT });
    const newestFirst = await client.responses.inputItems.list(created.id);
    expect(newestFirst.data.map((i) => i.type)).toEqual(['message', 'function_call_output', 'function_call', 'message', 'message']);
    expect(newestFirst.has_more).toBe(false);
    expect(newestFirst.data[0]).toMatchObject({ content: [{ type: 'input_text', text: 'And this?' }, { type: 'input_image', detail: 'low', image_url: null }] });

    const all = await client.responses.inputItems.list(created.id, { order: 'asc', include: ['message.input_image.image_url'] });
    const ids = all.data.map((i) => i.id);
    expect(new Set(ids).size).toBe(5);
    expect(ids.some((id) => created.output.some((o) => o.id === id))).toBe(false);
    expect(all.data.map(({ id: _id, ...item }) => item)).toEqual([
      { type: 'message', status: 'completed', role: 'developer', content: [{ type: 'input_text', text: 'Answer briefly.' }] },
      { type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'What is the weather in Paris?' }] },
      { type: 'function_call', status: 'completed', call_id: 'call_1', name: 'get_weather', arguments: '{"query":"Paris"}' },
      { type: 'function_call_output', status: 'completed', call_id: 'call_1', output: 'sunny' },
      { type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'And this?' }, { type: 'input_image', detail: 'low', file_id: null, image_url: PNG }] },
    ]);
    // The SDK's page keeps only `data` and `has_more`; the list's ends are in its body.
    const listed = await fetch(`${served.url}/v1/responses/${created.id}/input_items?order=asc&limit=3`, { headers: { authorization: 'Bearer key-one' } });
    expect(await listed.json()).toMatchObject({ object: 'list', first_id: ids[0], last_id: ids[2], has_more: true });

    const first = await client.responses.inputItems.list(created.id, { order: 'asc', limit: 2 });
    expect([first.data.map((i) => i.id), first.has_more]).toEqual([ids.slice(0, 2), true]);
    const paged: string[] = [];
    for await (const item of client.responses.inputItems.list(created.id, { order: 'asc', limit: 2 })) paged.push(item.id);
    expect(paged).toEqual(ids);
    const after = await client.responses.inputItems.list(created.id, { after: ids[2], limit: 5 });
    expect([after.data.map((i) => i.id), after.has_more]).toEqual([[ids[1], ids[0]], false]);
  });

  it('deletes a response: afterwards retrieving it, listing its input items and continuing it find nothing', async () => {
    const { client, url } = served;
    const created = await client.responses.create({ model: 'chat', input: 'Forget me' });
    const deleted = await fetch(`${url}/v1/responses/${created.id}`, { method: 'DELETE', headers: { authorization: 'Bearer key-one' } });
    expect([deleted.status, await deleted.json()]).toEqual([200, { id: created.id, object: 'response', deleted: true }]);
    expect(await refusal(client.responses.retrieve(created.id))).toEqual(notFound(created.id));
    expect(await refusal(client.responses.inputItems.list(created.id))).toEqual(notFound(created.id));
    expect(await refusal(client.responses.delete(created.id))).toEqual(notFound(created.id));
    expect(await refusal(client.responses.create({ model: 'chat', previous_response_id: created.id, input: 'Hi' }))).toMatchObject({ status: 400, error: { code: 'previous_response_not_found' } });

    const again = await client.responses.create({ model: 'chat', input: 'Forget me too' });
    await client.responses.delete(again.id);
    expect(await refusal(client.responses.retrieve(again.id))).toEqual(notFound(again.id));
  });

  it('retrieves a response while it streams as in progress and lists its input items, to its own key only; continuing it waits for its end', async () => {
    const { client, other } = served;
    // The upstream holds the stream after two chunks, until the gateway gives up on it.
    sim.faults.add({ stall_after_chunks: 2, count: 1 });
    const stream = await client.responses.create({ model: 'chat', instructions: 'Be brief.', input: INPUT, metadata: { case: 'in progress' }, stream: true });
    let created: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.created') created = event.response;
      if (event.type !== 'response.output_text.delta') continue;
      if (!created) throw new Error('no response.created before the first delta');
      const { id } = created;
      const raw = await client.responses.retrieve(id).asResponse();
      expect(raw.headers.get('cache-control')).toBe('no-store');
      // As response.created had it: no output, usage or completion yet.
      expect(await raw.json()).toEqual(created);
      const retrieved = await client.responses.retrieve(id);
      expect(retrieved).toMatchObject({ id, object: 'response', status: 'in_progress', completed_at: null, error: null, incomplete_details: null, output: [], usage: null, store: true, metadata: { case: 'in progress' } });
      expect(await refusal(other.responses.retrieve(id))).toEqual(notFound(id));
      // The input is known from the start: its items are listed while the answer streams.
      const page = await client.responses.inputItems.list(id, { order: 'asc' });
      expect(page.data.map((item) => item.type)).toEqual(['message', 'message', 'function_call', 'function_call_output', 'message']);
      expect(page.data[1]).toMatchObject({ type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'What is the weather in Paris?' }] });
      expect(new Set(page.data.map((item) => item.id)).size).toBe(5);
      expect(await refusal(other.responses.inputItems.list(id))).toEqual(notFound(id));
      expect(await refusal(client.responses.create({ model: 'chat', previous_response_id: id, input: 'And then?' }))).toEqual({
        status: 400,
        error: { message: `Previous response with id '${id}' is still in progress; continue it once it has completed.`, type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_in_progress' },
      });
      expect(await refusal(other.responses.create({ model: 'chat', previous_response_id: id, input: 'And then?' }))).toMatchObject({ status: 400, error: { code: 'previous_response_not_found' } });
      // The client leaves: the stream is not stored, and its mark goes with it.
      break;
    }
    const id = created?.id ?? '';
    await vi.waitFor(async () => expect(await refusal(client.responses.retrieve(id))).toEqual(notFound(id)));
    expect(await refusal(client.responses.create({ model: 'chat', previous_response_id: id, input: 'And then?' }))).toMatchObject({ status: 400, error: { code: 'previous_response_not_found' } });
  });

  it('deletes a response while it streams: the DELETE answers as for a stored one, and the end of the stream stores nothing', async () => {
    const { client, other } = served;
    // Word chunks 80 ms apart: the stream runs for about a second after its first event.
    sim.faults.add({ inter_chunk_ms: 80, count: 1 });
    const stream = await client.responses.create({ model: 'chat', input: 'one two three four five six seven eight nine ten', stream: true });
    let id = '';
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type !== 'response.created') continue;
      id = event.response.id;
      // Another key's DELETE finds nothing, as for any id of someone else's.
      expect(await refusal(other.responses.delete(id))).toEqual(notFound(id));
      expect(await deleteRaw(served.url, 'key-one', id)).toEqual([200, { id, object: 'response', deleted: true }]);
      expect(await refusal(client.responses.delete(id))).toEqual(notFound(id));
      expect(await refusal(client.responses.retrieve(id))).toEqual(notFound(id));
    }
    // The client that deleted it still reads the answer it is streaming.
    expect(seen.at(-1)).toBe('response.completed');
    expect(await refusal(client.responses.retrieve(id))).toEqual(notFound(id));
    expect(await refusal(client.responses.inputItems.list(id))).toEqual(notFound(id));
    expect(await refusal(client.responses.delete(id))).toEqual(notFound(id));
    expect(await refusal(client.responses.create({ model: 'chat', previous_response_id: id, input: 'Hi' }))).toMatchObject({ status: 400, error: { code: 'previous_response_not_found' } });
  });

  it('lists a streamed response\'s input items the same while it streams and once stored, none sharing an id with its output', async () => {
    const { client } = served;
    sim.faults.add({ inter_chunk_ms: 40, count: 1 });
    const stream = await client.responses.create({ model: 'chat', input: INPUT, stream: true });
    let during: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.created') during = (await client.responses.inputItems.list(event.response.id, { order: 'asc' })).data.map((i) => i.id);
      if (event.type === 'response.completed') completed = event.response;
    }
    if (!completed) throw new Error('the stream did not complete');
    const after = (await client.responses.inputItems.list(completed.id, { order: 'asc' })).data.map((i) => i.id);
    expect(during).toHaveLength(5);
    expect(after).toEqual(during);
    expect(completed.output.some((o) => o.id !== undefined && during.includes(o.id))).toBe(false);
  });

  it("keeps a streamed response another key tried to delete while it streamed", async () => {
    const { client, other } = served;
    sim.faults.add({ inter_chunk_ms: 40, count: 1 });
    const stream = await client.responses.create({ model: 'chat', input: 'one two three four five six', stream: true });
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.created') expect(await refusal(other.responses.delete(event.response.id))).toEqual(notFound(event.response.id));
      if (event.type === 'response.completed') completed = event.response;
    }
    if (!completed) throw new Error('the stream did not complete');
    const retrieved = await client.responses.retrieve(completed.id);
    expect(retrieved).toEqual({ ...completed, output_text: retrieved.output_text });
  });

  it("keeps a stream that failed midway as the API does: retrieved as its response.failed response, in the gateway's words only, its input items listed, never continued", async () => {
    const { client, other } = served;
    // The upstream's own words must not come back, now or when the response is read later.
    sim.faults.add({ stream_error_after_chunks: 3, error_message: 'upstream secret sk-live-123 at 10.0.0.7', count: 1 });
    const stream = await client.responses.create({ model: 'chat', input: 'one two three four five six', metadata: { case: 'failed' }, stream: true });
    let created: OpenAI.Responses.Response | undefined;
    let streamed = '';
    // The error event makes the SDK throw, after yielding what came before it.
    const thrown = await (async () => {
      for await (const event of stream) {
        if (event.type === 'response.created') created = event.response;
        if (event.type === 'response.output_text.delta') streamed += event.delta;
      }
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    if (!(thrown instanceof OpenAI.APIError) || !created) throw new Error(`expected response.created, then an APIError; got ${String(thrown)}`);
    const { id } = created;
    const said = (thrown.error as { message: string }).message;
    expect(said).toContain('openai-compatible');

    const raw = await client.responses.retrieve(id).asResponse();
    expect(raw.headers.get('cache-control')).toBe('no-store');
    const text = await raw.text();
    expect(text).not.toMatch(/sk-live|10\.0\.0\.7|upstream secret/);
    const retrieved = await client.responses.retrieve(id);
    // The response.failed event's response: the text so far in an incomplete message, the error as the client read it.
    expect(retrieved).toMatchObject({ ...created, status: 'failed', error: { code: 'server_error', message: said }, usage: null, output: expect.any(Array), output_text: streamed });
    expect(retrieved.output).toEqual([{ id: expect.stringMatching(/^msg_/), type: 'message', status: 'incomplete', role: 'assistant', content: [{ type: 'output_text', text: streamed, annotations: [], logprobs: [] }] }]);
    expect(streamed).not.toBe('');
    expect(await refusal(other.responses.retrieve(id))).toEqual(notFound(id));
    expect((await client.responses.inputItems.list(id)).data).toMatchObject([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one two three four five six' }] }]);
    expect(await refusal(client.responses.create({ model: 'chat', previous_response_id: id, input: 'And then?' }))).toEqual({
      status: 400,
      error: {
        message: `Previous response with id '${id}' failed and cannot be continued; continue from the response before it, or send the conversation as input.`,
        type: 'invalid_request_error',
        param: 'previous_response_id',
        code: 'previous_response_failed',
      },
    });
    expect(await refusal(other.responses.create({ model: 'chat', previous_response_id: id, input: 'And then?' }))).toMatchObject({ status: 400, error: { code: 'previous_response_not_found' } });
    expect(await deleteRaw(served.url, 'key-one', id)).toEqual([200, { id, object: 'response', deleted: true }]);
    expect(await refusal(client.responses.retrieve(id))).toEqual(notFound(id));
  });

  it('keeps a stream that broke (the upstream cut its connection) as failed too', async () => {
    sim.faults.add({ cut_after_chunks: 3, count: 1 });
    // Read to its end: the gateway has closed the stream (and stored it) once the body is whole.
    const res = await fetch(`${served.url}/v1/responses`, { method: 'POST', headers: { authorization: 'Bearer key-one' }, body: JSON.stringify({ model: 'chat', input: 'one two three four five six', stream: true }) });
    const frames = (await res.text()).split('\n\n').filter((f) => f !== '');
    const events = frames.map((frame) => frame.split('\n')[0]);
    expect([events[0], events.at(-1)]).toEqual(['event: response.created', 'event: response.failed']);
    const failed = (JSON.parse(frames.at(-1)?.split('\ndata: ')[1] ?? 'null') as { response: { id: string } }).response;
    expect(await served.client.responses.retrieve(failed.id)).toEqual({ ...failed, output_text: expect.any(String) });
  });

  it.runIf(_name !== 'memory')('deletes a streaming response from another replica sharing the database, whose save then stores nothing', async () => {
    const { client } = served;
    const replica = await serve(sim, { ...ledger(dir), spill_path: join(dir, 'replica-spill.jsonl') }, true);
    try {
      sim.faults.add({ inter_chunk_ms: 80, count: 1 });
      const stream = await client.responses.create({ model: 'chat', input: 'one two three four five six seven eight nine ten', stream: true });
      let id = '';
      for await (const event of stream) {
        if (event.type !== 'response.created') continue;
        id = event.response.id;
        expect(await refusal(replica.other.responses.delete(id))).toEqual(notFound(id));
        expect(await deleteRaw(replica.url, 'key-one', id)).toEqual([200, { id, object: 'response', deleted: true }]);
      }
      // The replica that streamed it settles its save before answering; the other reads the same rows.
      expect(await refusal(client.responses.retrieve(id))).toEqual(notFound(id));
      expect(await refusal(replica.client.responses.retrieve(id))).toEqual(notFound(id));
    } finally {
      await replica.close();
    }
  });

  it.runIf(_name !== 'memory')('retrieves a response streaming on another replica sharing the database as in progress', async () => {
    const { client } = served;
    const replica = await serve(sim, { ...ledger(dir), spill_path: join(dir, 'replica-spill.jsonl') }, true);
    try {
      sim.faults.add({ stall_after_chunks: 2, count: 1 });
      const stream = await client.responses.create({ model: 'chat', input: 'one two three four', stream: true });
      for await (const event of stream) {
        if (event.type !== 'response.created') continue;
        const { id } = event.response;
        expect(await replica.client.responses.retrieve(id)).toEqual({ ...event.response, output_text: '' });
        expect(await refusal(replica.other.responses.retrieve(id))).toEqual(notFound(id));
        expect((await replica.client.responses.inputItems.list(id)).data).toMatchObject([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one two three four' }] }]);
        expect(await refusal(replica.other.responses.inputItems.list(id))).toEqual(notFound(id));
        expect(await refusal(replica.client.responses.create({ model: 'chat', previous_response_id: id, input: 'And then?' }))).toMatchObject({
          status: 400,
          error: { param: 'previous_response_id', code: 'previous_response_in_progress' },
        });
        break;
      }
    } finally {
      await replica.close();
    }
  });

  it('answers a cancel of its own response that only background responses can be cancelled, and of any other id as a missing one', async () => {
    const { client, other } = served;
    const created = await client.responses.create({ model: 'chat', input: 'Cancel me', background: false });
    expect(created.background).toBe(false);
    expect(await refusal(client.responses.cancel(created.id))).toEqual({
      status: 400,
      error: { message: 'Only responses created with background=true can be cancelled, and this gateway runs no response in the background.', type: 'invalid_request_error', param: null, code: 'response_not_cancellable' },
    });
    expect(await refusal(other.responses.cancel(created.id))).toEqual(notFound(created.id));
    expect(await refusal(client.responses.cancel(MISSING))).toEqual(notFound(MISSING));
    // Nothing was cancelled: the response is as it was answered.
    expect((await client.responses.retrieve(created.id)).status).toBe('completed');
  });

  it("answers another key's response exactly as a missing one, and leaves it to its own key", async () => {
    const { client, other } = served;
    const created = await client.responses.create({ model: 'chat', input: 'Mine only' });
    const missing = await refusal(other.responses.retrieve(MISSING));
    expect(missing).toEqual(notFound(MISSING));
    for (const call of [() => other.responses.retrieve(created.id), () => other.responses.inputItems.list(created.id), () => other.responses.delete(created.id)]) {
      expect(await refusal(call())).toEqual(notFound(created.id));
    }
    expect((await client.responses.retrieve(created.id)).id).toBe(created.id);
  });

  it('quotes no id that is not shaped like a response id (a key pasted into the path), and refuses what it cannot serve', async () => {
    const { client } = served;
    const pasted = await refusal(client.responses.retrieve('key-two'));
    expect(pasted).toEqual({ status: 404, error: expect.objectContaining({ message: 'No response found with that id.', code: 'response_not_found' }) });
    const created = await client.responses.create({ model: 'chat', input: 'Hi' });
    expect(await refusal(client.responses.inputItems.list(created.id, { limit: 101 }))).toMatchObject({ status: 400, error: { param: 'limit' } });
    expect(await refusal(client.responses.inputItems.list(created.id, { after: 'key-two' }))).toMatchObject({ status: 400, error: { param: 'after', message: expect.not.stringContaining('key-two') } });
    expect(await refusal(client.responses.retrieve(created.id, { stream: true }))).toMatchObject({ status: 400, error: { param: 'stream' } });
  });
});

describe.skipIf(DATABASE_URL)('stored responses in PostgreSQL', () => {
  it('runs the specs above on PostgreSQL too when DATABASE_URL names a test database', () => undefined);
});

describe('stored responses with response storage disabled', () => {
  let sim: SimServer;
  let served: Served;

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-test' });
    served = await serve(sim, { enabled: false }, false);
  });

  afterAll(async () => {
    await served.close();
    await sim.close();
  });

  it('finds no response, and says storage is off', async () => {
    const { client } = served;
    const created = await client.responses.create({ model: 'chat', input: 'Hi', store: true });
    const off = { status: 404, error: expect.objectContaining({ type: 'invalid_request_error', code: 'response_storage_disabled', message: expect.stringContaining(`No response found with id '${created.id}'.`) }) };
    expect(await refusal(client.responses.retrieve(created.id))).toEqual(off);
    expect(await refusal(client.responses.inputItems.list(created.id))).toEqual(off);
    expect(await refusal(client.responses.delete(created.id))).toEqual(off);
    expect(await refusal(client.responses.cancel(created.id))).toEqual(off);
  });
});

afterAll(async () => {
  if (!DATABASE_URL) return;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});
