import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { holdEnd } from '../core/ready.js';
import { makeUsage, type ChatRequest, type StreamPart } from '../core/types.js';
import { assistantText, userRequest, userText } from '../testing/canonical.js';
import { CONTINUE_INSTRUCTION, continuationRequest, notContinued, resumable, type Continuation, type Resume } from './resume.js';

async function* parts(list: StreamPart[], fail?: GatewayError): AsyncGenerator<StreamPart> {
  yield* list;
  if (fail) throw fail;
}

const broken = new GatewayError({ kind: 'network', message: 'cut' });
const spentUsage = makeUsage({ prompt: 10, completion: 3 });
const nextUsage = makeUsage({ prompt: 14, completion: 5 });

function continuation(list: StreamPart[]): Continuation {
  return {
    parts: parts(list),
    from: 'a',
    to: 'b',
    spent: { deployment: 'a', provider: 'openai-compatible', model: 'm', region: undefined, usage: spentUsage, estimated: true },
    continuing: { deployment: 'b', provider: 'anthropic', model: 'c', region: 'eu' },
  };
}

async function collect(it: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const p of it) out.push(p);
  return out;
}

describe('continuationRequest', () => {
  const request: ChatRequest = userRequest('chat', 'Hi', { maxOutputTokens: 100, reasoning: { enabled: true, effort: 'low' } });

  it('gives a prefill deployment the text as a final assistant message, without trailing whitespace', () => {
    const continued = continuationRequest(request, 'Hello there ', true);
    expect(continued.messages).toEqual([userText('Hi'), assistantText('Hello there')]);
    // Upstreams that take a prefill refuse one with reasoning on.
    expect(continued.reasoning).toBeUndefined();
  });

  it('asks any other deployment to continue after its partial answer', () => {
    const continued = continuationRequest(request, 'Hello there ', false);
    expect(continued.messages.slice(1)).toEqual([assistantText('Hello there'), userText(CONTINUE_INSTRUCTION)]);
    expect(continued.reasoning).toEqual({ enabled: true, effort: 'low' });
  });

  it('lowers the token limit by what was already written, and asks again unchanged when no text was sent', () => {
    expect(continuationRequest(request, 'x'.repeat(40), true).maxOutputTokens).toBe(90);
    expect(continuationRequest(request, '  ', true)).toBe(request);
  });
});

describe('resumable', () => {
  it('goes on from the continuation once the stream breaks after text, without repeating whitespace', async () => {
    const resume = vi.fn<Resume>(async () =>
      continuation([
        { type: 'start', id: 'x' },
        { type: 'reasoning', delta: 'thinking again' },
        { type: 'redacted-reasoning', data: 'opaque' },
        { type: 'text', delta: ' ' },
        { type: 'text', delta: 'world' },
        { type: 'finish', finishReason: 'stop' },
        { type: 'usage', usage: nextUsage },
      ]),
    );
    const first: StreamPart[] = [{ type: 'start' }, { type: 'redacted-reasoning', data: 'sealed', provider: 'anthropic' }, { type: 'text', delta: 'Hello ' }];
    const out = await collect(resumable(parts(first, broken), resume));
    expect(resume).toHaveBeenCalledWith('Hello ', broken);
    expect(out).toEqual([
      { type: 'start' },
      { type: 'redacted-reasoning', data: 'sealed', provider: 'anthropic' },
      { type: 'text', delta: 'Hello ' },
      { type: 'provider-metadata', namespace: 'switchyard', data: { resumed: { from: 'a', to: 'b' } } },
      { type: 'text', delta: 'world' },
      { type: 'finish', finishReason: 'stop' },
      {
        type: 'usage',
        usage: makeUsage({ prompt: 24, completion: 8 }),
        estimated: true,
        attempts: [
          { deployment: 'a', provider: 'openai-compatible', model: 'm', region: undefined, usage: spentUsage },
          { deployment: 'b', provider: 'anthropic', model: 'c', region: 'eu', usage: nextUsage },
        ],
      },
    ]);
  });

  it("lists the attempts billed while opening the continuation among the usage's attempts, between the broken one and the one that went on", async () => {
    const timedOut = { deployment: 'c', provider: 'openai-compatible', model: 'm', region: undefined, usage: makeUsage({ prompt: 14 }) };
    const c = { ...continuation([{ type: 'text', delta: 'world' }, { type: 'usage', usage: nextUsage }]), failed: [timedOut] };
    const out = await collect(resumable(parts([{ type: 'text', delta: 'Hello ' }], broken), async () => c));
    const usage = out.at(-1);
    expect(usage?.type === 'usage' && usage.attempts?.map((a) => a.deployment)).toEqual(['a', 'c', 'b']);
    // The usage the client reads stays the answer's: the broken attempt and the one that went on.
    expect(usage?.type === 'usage' && usage.usage).toEqual(makeUsage({ prompt: 24, completion: 8 }));
  });

  it('keeps a continuation that starts with other whitespace than the client already has', async () => {
    const out = await collect(resumable(parts([{ type: 'text', delta: 'Hello ' }], broken), async () => continuation([{ type: 'text', delta: '\nworld' }])));
    expect(out.filter((p) => p.type === 'text').map((p) => (p.type === 'text' ? p.delta : ''))).toEqual(['Hello ', '\nworld']);
  });

  it('does not resume after a tool call or the finish, nor a cancellation or a filtered answer', async () => {
    const resume = vi.fn<Resume>(async () => continuation([]));
    await expect(collect(resumable(parts([{ type: 'text', delta: 'a' }, { type: 'tool-call', index: 0, argumentsDelta: '{' }], broken), resume))).rejects.toBe(broken);
    await expect(collect(resumable(parts([{ type: 'text', delta: 'a' }, { type: 'finish', finishReason: 'stop' }], broken), resume))).rejects.toBe(broken);
    const cancelled = new GatewayError({ kind: 'cancelled', message: 'gone' });
    await expect(collect(resumable(parts([{ type: 'text', delta: 'a' }], cancelled), resume))).rejects.toBe(cancelled);
    const filtered = new GatewayError({ kind: 'content_filtered', message: 'no' });
    await expect(collect(resumable(parts([{ type: 'text', delta: 'a' }], filtered), resume))).rejects.toBe(filtered);
    expect(resume).not.toHaveBeenCalled();
  });

  it('resumes once: the continuation breaking too ends the answer with its error', async () => {
    const again = new GatewayError({ kind: 'overloaded', message: 'again' });
    const resume = vi.fn<Resume>(async () => ({ ...continuation([]), parts: parts([{ type: 'text', delta: 'b' }], again) }));
    await expect(collect(resumable(parts([{ type: 'text', delta: 'a' }], broken), resume))).rejects.toBe(again);
    expect(resume).toHaveBeenCalledTimes(1);
  });

  it('ends with the original error when nothing can go on', async () => {
    await expect(collect(resumable(parts([{ type: 'text', delta: 'a' }], broken), async (_sent, error) => error))).rejects.toBe(broken);
    await expect(collect(resumable(parts([{ type: 'text', delta: 'a' }], broken), () => Promise.reject(new Error('budget'))))).rejects.toBe(broken);
  });

  it('ends with the error the resume gives when opening a continuation failed, which says what trying was billed', async () => {
    const billed = broken.withSpent({ usage: spentUsage, estimated: true, attempts: [] });
    await expect(collect(resumable(parts([{ type: 'text', delta: 'a' }], broken), async () => billed))).rejects.toBe(billed);
  });

  it('a continuation that breaks too ends with its error saying what both attempts were billed, each at its deployment', async () => {
    const again = new GatewayError({ kind: 'network', message: 'again' }).withSpent({ usage: nextUsage, estimated: false });
    const failed = { deployment: 'c', provider: 'bedrock', model: 'n', region: 'us', usage: makeUsage({ prompt: 14 }) };
    const resume = vi.fn<Resume>(async () => ({ ...continuation([]), parts: parts([{ type: 'text', delta: 'b' }], again), failed: [failed] }));
    const thrown = await collect(resumable(parts([{ type: 'text', delta: 'a' }], broken), resume)).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ kind: 'network', message: 'again' });
    expect((thrown as GatewayError).spent).toEqual({
      usage: makeUsage({ prompt: 24, completion: 8 }),
      estimated: true,
      attempts: [
        { deployment: 'a', provider: 'openai-compatible', model: 'm', region: undefined, usage: spentUsage },
        failed,
        { deployment: 'b', provider: 'anthropic', model: 'c', region: 'eu', usage: nextUsage },
      ],
    });
  });

  it("a consumer's failure on a continued answer is thrown back saying what both attempts were billed", async () => {
    const bug = new TypeError('unencodable');
    // What the continuation's relay throws back once it settled the failure: its own attempt's usage.
    const settling: AsyncIterator<StreamPart> = { ...parts([{ type: 'text', delta: 'b' }]), throw: async () => Promise.reject(new GatewayError({ kind: 'internal', message: 'Internal gateway error.', cause: bug }).withSpent({ usage: nextUsage, estimated: false })) };
    const answer = resumable(parts([{ type: 'text', delta: 'a' }], broken), async () => ({ ...continuation([]), parts: settling }));
    await answer.next();
    expect((await answer.next()).value).toMatchObject({ type: 'provider-metadata', namespace: 'switchyard' });
    const thrown = await answer.throw?.(bug).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ kind: 'internal', spent: { usage: makeUsage({ prompt: 24, completion: 8 }), estimated: true } });
    expect((thrown as GatewayError).spent?.attempts?.map((a) => a.deployment)).toEqual(['a', 'b']);
  });

  it('asks the stream it continues from to hold its end for a consumer that confirms it (holdEnd), and the continuation too', async () => {
    const asked: string[] = [];
    const holding = (name: string, list: StreamPart[], fail?: GatewayError): AsyncIterator<StreamPart> => Object.assign(parts(list, fail), { holdEnd: () => void asked.push(name) });
    const answer = resumable(holding('first', [{ type: 'text', delta: 'a' }], broken), async () => ({ ...continuation([]), parts: holding('continuation', [{ type: 'text', delta: 'b' }]) }));
    holdEnd(answer);
    expect(asked).toEqual(['first']);
    await collect(answer);
    expect(asked).toEqual(['first', 'continuation']);
  });
});

describe('notContinued', () => {
  const spent = continuation([]).spent;

  it('leaves the break as it is when trying to continue billed nothing', () => {
    expect(notContinued(broken, spent, undefined)).toBe(broken);
  });

  it('says the broken attempt and those billed while trying to continue, the usage the broken one', () => {
    const timedOut = { deployment: 'b', provider: 'anthropic', model: 'c', region: 'eu', usage: makeUsage({ prompt: 14 }) };
    const error = notContinued(broken, spent, [timedOut]);
    expect([error.kind, error.message]).toEqual([broken.kind, broken.message]);
    expect(error.spent).toEqual({ usage: spentUsage, estimated: true, attempts: [{ deployment: 'a', provider: 'openai-compatible', model: 'm', region: undefined, usage: spentUsage }, timedOut] });
  });
});
