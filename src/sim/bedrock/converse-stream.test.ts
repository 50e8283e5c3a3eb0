/**
 * ConverseStream event by event, with @aws-sdk/client-bedrock-runtime as the checker: every frame the
 * simulator sends must come out of the SDK's event-stream unmarshaller as the event its `:event-type`
 * names, its JSON must hold only the members the SDK's schema for that event declares (Bedrock's `p`
 * padding aside), every required one, each of its type, and the events must come in the order AWS's
 * ConverseStream reference gives: messageStart; per content block, a contentBlockStart for a toolUse
 * block only, its deltas, its contentBlockStop; messageStop with a stopReason; metadata with usage and
 * metrics.
 */
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BedrockRuntimeClient, ConverseStreamCommand, ConverseStreamOutput$, type ConverseStreamCommandInput, type ConverseStreamOutput, type Tool } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { startBedrockSim, SIM_CREDENTIALS } from './index.js';
import { REDACTED_THINKING_TRIGGER } from '../anthropic/blocks.js';
import type { SimServer } from '../server.js';

const MODEL = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
const tool = (name: string): Tool => ({ toolSpec: { name, description: `The ${name} tool.`, inputSchema: { json: { type: 'object', properties: { query: { type: 'string' } } } } } });
const STOP_REASONS = ['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'guardrail_intervened', 'content_filtered', 'malformed_model_output', 'malformed_tool_use', 'model_context_window_exceeded'];

/** One frame as sent: its headers and its JSON payload. */
interface Frame {
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

/** The response bytes as sent, kept while the SDK reads the same bytes. */
class CapturingHandler extends NodeHttpHandler {
  bytes = Buffer.alloc(0);
  override async handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const result = await super.handle(...args);
    const chunks: Buffer[] = [];
    for await (const chunk of result.response.body as Readable) chunks.push(chunk as Buffer);
    this.bytes = Buffer.concat(chunks);
    result.response.body = Readable.from([this.bytes]);
    return result;
  }
}

function framesOf(bytes: Buffer): Frame[] {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frames: Frame[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const message = codec.decode(bytes.subarray(at, at + length));
    at += length;
    const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v.value)]));
    frames.push({ headers, payload: JSON.parse(toUtf8(message.body)) as Record<string, unknown> });
  }
  return frames;
}

// --- The SDK's static schemas (@smithy's tuples: [kind, namespace, name, traits, members, schemas, required]).

type Tuple = readonly unknown[];
const KIND = { list: 1, map: 2, struct: 3, union: 4 } as const;

/** A schema reference with thunks and member wrappers ([schema, traits]) taken off. */
function resolve(ref: unknown): unknown {
  const value: unknown = typeof ref === 'function' ? (ref as () => unknown)() : ref;
  return Array.isArray(value) && value.length === 2 ? resolve(value[0]) : value;
}

/** Where `value` breaks `ref`'s shape: undeclared or missing members, wrong types, a union not of one member. */
function shapeProblems(ref: unknown, value: unknown, path: string): string[] {
  const schema = resolve(ref);
  if (typeof schema === 'number') return simpleProblems(schema, value, path);
  const tuple = schema as Tuple;
  const kind = tuple[0];
  if (kind === KIND.list) return Array.isArray(value) ? value.flatMap((v, i) => shapeProblems(tuple[4], v, `${path}[${i}]`)) : [`${path}: not a list`];
  if (kind === KIND.map) return isRecord(value) ? Object.entries(value).flatMap(([k, v]) => shapeProblems(tuple[5], v, `${path}.${k}`)) : [`${path}: not a map`];
  if (!isRecord(value)) return [`${path}: not an object`];
  const names = tuple[4] as string[];
  const schemas = tuple[5] as unknown[];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    const i = names.indexOf(key);
    if (i === -1) problems.push(`${path}.${key}: not declared by ${String(tuple[2])}`);
    else problems.push(...shapeProblems(schemas[i], value[key], `${path}.${key}`));
  }
  const required = kind === KIND.struct ? Number(tuple[6] ?? 0) : 0;
  for (const name of names.slice(0, required)) if (!(name in value)) problems.push(`${path}.${name}: required by ${String(tuple[2])}, missing`);
  if (kind === KIND.union && Object.keys(value).length !== 1) problems.push(`${path}: a ${String(tuple[2])} union holds exactly one member, not ${Object.keys(value).length}`);
  return problems;
}

/** @smithy's simple schema ids: 0 string, 1 number, 2 boolean, 15 document, 21 blob (base64 in JSON), 64|x a list of x. */
function simpleProblems(id: number, value: unknown, path: string): string[] {
  if (id & 64) return Array.isArray(value) ? value.flatMap((v, i) => simpleProblems(id & ~64, v, `${path}[${i}]`)) : [`${path}: not a list`];
  if (id === 15) return [];
  const expected = id === 1 ? 'number' : id === 2 ? 'boolean' : 'string';
  if (typeof value !== expected) return [`${path}: expected a ${expected}`];
  if (id === 21 && !/^[A-Za-z0-9+/]*={0,2}$/.test(value as string)) return [`${path}: a blob is base64`];
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The schema of the event `name` in the ConverseStreamOutput union. */
function eventSchema(name: string): unknown {
  const union = ConverseStreamOutput$ as unknown as Tuple;
  const i = (union[4] as string[]).indexOf(name);
  return i === -1 ? undefined : (union[5] as unknown[])[i];
}

/** Each frame against the SDK's schema of its event (or exception), Bedrock's `p` padding left out. */
function frameProblems(frames: Frame[]): string[] {
  return frames.flatMap((f, i) => {
    const kind = f.headers[':message-type'];
    const type = (kind === 'exception' ? f.headers[':exception-type'] : f.headers[':event-type']) ?? '';
    if ((kind !== 'event' && kind !== 'exception') || f.headers[':content-type'] !== 'application/json') return [`frame ${i}: headers ${JSON.stringify(f.headers)}`];
    const schema = eventSchema(type);
    if (schema === undefined) return [`frame ${i}: ${type} is no ConverseStream event`];
    const { p, ...payload } = f.payload;
    if (p !== undefined && typeof p !== 'string') return [`frame ${i}: p is not a string`];
    return shapeProblems(schema, payload, `${type}#${i}`);
  });
}

/** The documented order of ConverseStream's events and blocks. */
function orderProblems(frames: Frame[]): string[] {
  const types = frames.map((f) => f.headers[':event-type']);
  const problems: string[] = [];
  if (types[0] !== 'messageStart') problems.push('the stream does not open with messageStart');
  if (types.at(-2) !== 'messageStop' || types.at(-1) !== 'metadata') problems.push('the stream does not end with messageStop, then metadata');
  let open: { index: number; kind: string; started: boolean } | undefined;
  let next = 0;
  for (const [i, f] of frames.slice(1, -2).entries()) {
    const type = types[i + 1];
    const index = f.payload.contentBlockIndex;
    const delta = isRecord(f.payload.delta) ? Object.keys(f.payload.delta)[0] : undefined;
    if (type === 'contentBlockStart' || (type === 'contentBlockDelta' && open === undefined)) {
      if (open !== undefined) problems.push(`block ${open.index} is not stopped before block ${String(index)} begins`);
      if (index !== next) problems.push(`block ${String(index)} begins where block ${next} should`);
      const started = type === 'contentBlockStart';
      open = { index: next++, kind: started ? Object.keys(f.payload.start as object)[0] ?? '' : (delta ?? ''), started };
      if (started && open.kind !== 'toolUse') problems.push(`block ${open.index} starts as ${open.kind}: only toolUse blocks have a contentBlockStart`);
      if (!started && open.kind === 'toolUse') problems.push(`block ${open.index} streams toolUse input without a contentBlockStart`);
      if (started) continue;
    }
    if (open === undefined || index !== open.index) problems.push(`${String(type)} for block ${String(index)} outside it`);
    else if (type === 'contentBlockDelta' && delta !== open.kind) problems.push(`block ${open.index} mixes ${open.kind} and ${String(delta)} deltas`);
    else if (type === 'contentBlockStop') open = undefined;
  }
  if (open !== undefined) problems.push(`block ${open.index} is never stopped`);
  const stop = frames.at(-2)?.payload.stopReason;
  if (!STOP_REASONS.includes(String(stop))) problems.push(`stopReason ${String(stop)} is not one AWS documents`);
  return problems;
}

describe('ConverseStream events, checked against @aws-sdk/client-bedrock-runtime and AWS reference', () => {
  let sim: SimServer;
  let client: BedrockRuntimeClient;
  const handler = new CapturingHandler();

  beforeAll(async () => {
    sim = await startBedrockSim({ region: 'us-east-1' });
    client = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: sim.url, credentials: SIM_CREDENTIALS, maxAttempts: 1, requestHandler: handler });
  });
  afterEach(() => sim.faults.clear());
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  /** The stream for a prompt: the SDK's events and the frames they came from, each checked. */
  async function stream(text: string, extra: Partial<ConverseStreamCommandInput> = {}): Promise<{ events: ConverseStreamOutput[]; frames: Frame[] }> {
    const r = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text }] }], ...extra }));
    const events: ConverseStreamOutput[] = [];
    for await (const event of r.stream ?? []) events.push(event);
    const frames = framesOf(handler.bytes);
    // Every frame is one event of the SDK's union, the one its :event-type names.
    expect(events.map((e) => Object.keys(e).filter((k) => k !== '$unknown'))).toEqual(frames.map((f) => [f.headers[':event-type']]));
    expect(frameProblems(frames)).toEqual([]);
    expect(orderProblems(frames)).toEqual([]);
    return { events, frames };
  }

  const types = (frames: Frame[]): string[] => frames.map((f) => `${f.headers[':event-type']}${f.payload.contentBlockIndex === undefined ? '' : `:${String(f.payload.contentBlockIndex)}`}`);

  it('streams a text answer as one block without a contentBlockStart, then end_turn and usage with metrics', async () => {
    const { events, frames } = await stream('Hello there', { system: [{ text: 'Be brief.' }] });
    expect([...new Set(types(frames))]).toEqual(['messageStart', 'contentBlockDelta:0', 'contentBlockStop:0', 'messageStop', 'metadata']);
    expect(events.at(-2)?.messageStop?.stopReason).toBe('end_turn');
    const usage = events.at(-1)?.metadata?.usage;
    expect(usage?.totalTokens).toBe((usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0));
    expect(events.at(-1)?.metadata?.metrics?.latencyMs).toBeGreaterThan(0);
  });

  it('streams a tool call as a toolUse block opened by contentBlockStart, its input as JSON text deltas', async () => {
    const { events, frames } = await stream('Please call the tool for cats', { toolConfig: { tools: [tool('lookup')] } });
    expect([...new Set(types(frames))]).toEqual(['messageStart', 'contentBlockStart:0', 'contentBlockDelta:0', 'contentBlockStop:0', 'messageStop', 'metadata']);
    expect(events[1]?.contentBlockStart?.start?.toolUse).toEqual({ toolUseId: expect.stringMatching(/^call_/) as unknown, name: 'lookup' });
    expect(JSON.parse(events.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '').join(''))).toEqual({ query: 'Please call the tool for cats' });
    expect(events.at(-2)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('streams a parallel call as two toolUse blocks one after another, each with its own id', async () => {
    const { events, frames } = await stream('Please call both tools', { toolConfig: { tools: [tool('lookup'), tool('fetch')] } });
    expect([...new Set(types(frames))]).toEqual(['messageStart', 'contentBlockStart:0', 'contentBlockDelta:0', 'contentBlockStop:0', 'contentBlockStart:1', 'contentBlockDelta:1', 'contentBlockStop:1', 'messageStop', 'metadata']);
    const starts = events.flatMap((e) => (e.contentBlockStart?.start?.toolUse ? [e.contentBlockStart.start.toolUse] : []));
    expect(starts.map((s) => s.name)).toEqual(['lookup', 'fetch']);
    expect(new Set(starts.map((s) => s.toolUseId)).size).toBe(2);
    expect(events.at(-2)?.messageStop?.stopReason).toBe('tool_use');
  });

  it("streams Claude's reasoning as its own block of reasoningContent text deltas ending with the signature, then the text", async () => {
    const { events, frames } = await stream('Think step by step, please');
    expect([...new Set(types(frames))]).toEqual(['messageStart', 'contentBlockDelta:0', 'contentBlockStop:0', 'contentBlockDelta:1', 'contentBlockStop:1', 'messageStop', 'metadata']);
    const reasoning = events.flatMap((e) => (e.contentBlockDelta?.contentBlockIndex === 0 ? [e.contentBlockDelta.delta?.reasoningContent] : []));
    expect(reasoning.slice(0, -1).every((d) => typeof d?.text === 'string')).toBe(true);
    expect(reasoning.at(-1)?.signature).toBeTruthy();
  });

  it("streams Claude's redacted reasoning as a block of one reasoningContent redactedContent delta, as Bedrock does for Anthropic's test string", async () => {
    const { events, frames } = await stream(`Think step by step about ${REDACTED_THINKING_TRIGGER}`);
    expect([...new Set(types(frames))]).toEqual(['messageStart', 'contentBlockDelta:0', 'contentBlockStop:0', 'contentBlockDelta:1', 'contentBlockStop:1', 'contentBlockDelta:2', 'contentBlockStop:2', 'messageStop', 'metadata']);
    const redacted = events.flatMap((e) => (e.contentBlockDelta?.contentBlockIndex === 1 ? [e.contentBlockDelta.delta?.reasoningContent] : []));
    expect(redacted).toHaveLength(1);
    expect(redacted[0]?.redactedContent).toBeInstanceOf(Uint8Array);
    expect(redacted[0]?.redactedContent?.length).toBeGreaterThan(0);
  });

  it.each(['modelStreamErrorException', 'throttlingException', 'validationException', 'internalServerException', 'serviceUnavailableException'])(
    'ends a stream broken by %s with that exception frame after the content so far, as the SDK declares it',
    async (exception) => {
      sim.faults.add({ stream_error_after_chunks: 2, error: exception, count: 1 });
      const r = await client.send(new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'this stream will break' }] }] }));
      const events: ConverseStreamOutput[] = [];
      const err = await (async () => {
        for await (const event of r.stream ?? []) events.push(event);
      })().catch((e: unknown) => e);
      expect((err as Error).name).toBe(exception.charAt(0).toUpperCase() + exception.slice(1));
      const frames = framesOf(handler.bytes);
      expect(frames.at(-1)?.headers).toMatchObject({ ':message-type': 'exception', ':exception-type': exception });
      expect(frameProblems(frames)).toEqual([]);
      expect(events.map((e) => Object.keys(e)[0])).toEqual(frames.slice(0, -1).map((f) => f.headers[':event-type']));
    },
  );

  it('ends a cut answer with max_tokens, and reports the prompt cache in the metadata usage', async () => {
    const { events } = await stream('Hello there, how are you today', { inferenceConfig: { maxTokens: 3 }, system: [{ text: 'A long shared system prompt.' }, { cachePoint: { type: 'default' } }] });
    expect(events.at(-2)?.messageStop?.stopReason).toBe('max_tokens');
    const usage = events.at(-1)?.metadata?.usage;
    expect(usage?.cacheReadInputTokens).toBeGreaterThan(0);
    expect(usage?.totalTokens).toBe((usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0) + (usage?.cacheReadInputTokens ?? 0) + (usage?.cacheWriteInputTokens ?? 0));
  });
});
