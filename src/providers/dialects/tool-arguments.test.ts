import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { parseToolArguments } from './tool-arguments.js';

describe('parseToolArguments', () => {
  it('reads a JSON object, and no text as no arguments', () => {
    expect(parseToolArguments('{"q":"x","n":[1]}', 'p')).toEqual({ q: 'x', n: [1] });
    expect(parseToolArguments('  ', 'p')).toEqual({});
  });

  it.each(['[1]', 'null', '"text"', '{"q":', '3'])('refuses %s as a 400 naming the parameter and the upstream', (args) => {
    let error: unknown;
    try {
      parseToolArguments(args, 'messages[1].content[0].arguments', 'Gemini');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ kind: 'invalid_request', param: 'messages[1].content[0].arguments', message: expect.stringContaining('to be sent to Gemini') });
  });

  it('refuses arguments nested deeper than a request body may be (64 levels) as a 400 naming the parameter, before parsing them', () => {
    const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect(parseToolArguments(nested(64), 'p')).toBeTypeOf('object');
    for (const depth of [65, 2_000, 5_000]) {
      let error: unknown;
      try {
        parseToolArguments(nested(depth), 'messages[1].content[0].arguments');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ kind: 'invalid_request', status: 400, unsent: true, param: 'messages[1].content[0].arguments', message: expect.stringContaining('deeper than 64 levels') });
    }
  });

  it('counts no bracket inside a string, nor a character outside ASCII whose code unit ends like one', () => {
    const text = `{"q":"${'[{'.repeat(100)}","r":"${'\u015b\u017b'.repeat(100)}"}`;
    expect(parseToolArguments(text, 'p')).toEqual(JSON.parse(text));
  });
});
