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
});
