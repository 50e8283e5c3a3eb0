import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../core/types.js';
import { ToolCallOrder } from './tool-call-order.js';

const call = (index: number, argumentsDelta: string, id?: string, name?: string): StreamPart => ({ type: 'tool-call', index, id, name, argumentsDelta });
const FINISH: StreamPart = { type: 'finish', finishReason: 'tool_calls' };

/** The parts as the order passes them on, fed one upstream chunk (one array) at a time. */
function arranged(...chunks: StreamPart[][]): StreamPart[] {
  const order = new ToolCallOrder();
  const out: StreamPart[] = [];
  for (const chunk of chunks) {
    const from = out.length;
    out.push(...chunk);
    order.arrange(out, from);
  }
  return out;
}

describe('the order of parallel tool calls', () => {
  it('puts interleaved fragments one call after another: the held call goes out whole once the first closes its JSON, then streams on live', () => {
    expect(
      arranged(
        [call(0, '', 'call_a', 'a'), call(1, '', 'call_b', 'b')],
        [call(0, '{"q":')],
        [call(1, '{"q":')],
        [call(0, '"x"}')],
        [call(1, '"y"}')],
        [FINISH],
      ),
    ).toEqual([call(0, '', 'call_a', 'a'), call(0, '{"q":'), call(0, '"x"}'), call(1, '{"q":', 'call_b', 'b'), call(1, '"y"}'), FINISH]);
  });

  it('passes calls that already come one after another as they come, each streaming live', () => {
    const parts = [call(0, '', 'call_a', 'a'), call(0, '{"q":'), call(0, '"x"}'), call(1, '', 'call_b', 'b'), call(1, '{"q":'), call(1, '"y"}'), FINISH];
    expect(arranged(...parts.map((p) => [p]))).toEqual(parts);
  });

  it('holds a call begun before the streaming one closed its JSON until the finish, then sends it whole before the finish', () => {
    expect(arranged([call(0, '', 'call_a', 'a')], [call(1, '{}', 'call_b', 'b')], [call(0, '{"q":"x"')], [FINISH])).toEqual([
      call(0, '', 'call_a', 'a'),
      call(0, '{"q":"x"'),
      call(1, '{}', 'call_b', 'b'),
      FINISH,
    ]);
  });

  it('reads braces and escaped quotes inside strings as text, not as the end of the arguments', () => {
    expect(arranged([call(0, '{"q":"}\\"{', 'call_a', 'a')], [call(1, '{}', 'call_b', 'b')], [call(0, '"}')], [FINISH])).toEqual([
      call(0, '{"q":"}\\"{', 'call_a', 'a'),
      call(0, '"}'),
      call(1, '{}', 'call_b', 'b'),
      FINISH,
    ]);
  });

  it('sends three interleaved calls in the order they began, each whole while the one before streams', () => {
    const out = arranged(
      [call(0, '{', 'call_a', 'a'), call(1, '{', 'call_b', 'b'), call(2, '{', 'call_c', 'c')],
      [call(2, '}'), call(1, '}'), call(0, '}')],
      [FINISH],
    );
    expect(out).toEqual([call(0, '{', 'call_a', 'a'), call(0, '}'), call(1, '{}', 'call_b', 'b'), call(2, '{}', 'call_c', 'c'), FINISH]);
  });

  it('lets text and other parts through untouched when no call is held', () => {
    const text: StreamPart = { type: 'text', delta: 'hi' };
    expect(arranged([text], [call(0, '{}', 'call_a', 'a')], [FINISH])).toEqual([text, call(0, '{}', 'call_a', 'a'), FINISH]);
  });
});
