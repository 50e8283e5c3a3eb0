import { describe, expect, it } from 'vitest';
import { StringSlot } from './string-slot.js';

const chunk = (content: string, extra = ''): string => `{"id":"c1","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}${extra}}]}`;

/** A slot taught by two chunks of one shape with different values. */
function learned(): StringSlot {
  const slot = new StringSlot();
  slot.learn(chunk('Hel'), 'Hel');
  slot.learn(chunk('lo'), 'lo');
  return slot;
}

describe('StringSlot', () => {
  it('reads the changing string of a chunk of the learned shape, escapes and all', () => {
    const slot = learned();
    expect(slot.read(chunk(' world'))).toBe(' world');
    expect(slot.read(chunk(''))).toBe('');
    expect(slot.read(chunk('say "hi"\n\u00e9\ud83d\ude00'))).toBe('say "hi"\n\u00e9\ud83d\ude00');
    expect(slot.read('{"id":"c1","choices":[{"index":0,"delta":{"content":"caf\\u00e9"}}]}')).toBe('café');
  });

  it('trusts nothing before two chunks of the same shape carried different values', () => {
    const slot = new StringSlot();
    slot.learn(chunk('the'), 'the');
    expect(slot.read(chunk('x'))).toBeUndefined();
    slot.learn(chunk('the'), 'the'); // the same token again proves nothing
    expect(slot.read(chunk('x'))).toBeUndefined();
    slot.learn(chunk('end'), 'end');
    expect(slot.read(chunk('x'))).toBe('x');
  });

  it('leaves to JSON.parse any chunk whose middle is not exactly one JSON string', () => {
    const slot = learned();
    // Another key spliced in, a raw control character, a number, whitespace around the string.
    expect(slot.read(chunk('a').replace('"a"', '"a","finish_reason":"stop","x":"b"'))).toBeUndefined();
    expect(slot.read(chunk('a').replace('"a"', '"a\nb"'))).toBeUndefined();
    expect(slot.read(chunk('a').replace('"a"', '12'))).toBeUndefined();
    expect(slot.read(chunk('a').replace('"a"', ' "a" '))).toBeUndefined();
    expect(slot.read(chunk('a', ',"finish_reason":"stop"'))).toBeUndefined();
    expect(slot.read('{"id":"c2","choices":[{"index":0,"delta":{"content":"a"}}]}')).toBeUndefined();
  });

  it('never takes another string equal to the value for the slot', () => {
    // lastIndexOf finds the model's "hi", not the content's; a chunk that changes the model alone must
    // not make the model's string the slot.
    const slot = new StringSlot();
    const withModel = (content: string, model: string): string => `{"delta":{"content":${JSON.stringify(content)}},"model":${JSON.stringify(model)}}`;
    slot.learn(withModel('hi', 'hi'), 'hi');
    slot.learn(withModel('hi', 'yo'), 'hi');
    slot.learn(withModel('hi', 'ok'), 'hi');
    expect(slot.read(withModel('hi', 'zz'))).toBeUndefined();
    slot.learn(withModel('a', 'm'), 'a');
    slot.learn(withModel('b', 'm'), 'b');
    expect(slot.read(withModel('c', 'm'))).toBe('c');
    expect(slot.read(withModel('c', 'n'))).toBeUndefined();
  });

  it('stops learning a shape that changes with every chunk (a per-chunk padding field)', () => {
    const slot = new StringSlot();
    for (let i = 0; i < 10; i++) slot.learn(chunk(`t${i}`, `,"obfuscation":"${'x'.repeat(i)}"`), `t${i}`);
    // Two chunks of one shape now would have confirmed it, had the slot not given up.
    slot.learn(chunk('a'), 'a');
    slot.learn(chunk('b'), 'b');
    expect(slot.read(chunk('c'))).toBeUndefined();
  });
});
