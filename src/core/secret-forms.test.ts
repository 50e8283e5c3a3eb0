import { describe, expect, it } from 'vitest';
import { fold, foldedView, splitEchoes } from './secret-forms.js';

describe('fold', () => {
  it('reads Cyrillic and Greek look-alikes as the Latin letters and digits they render as, and leaves the other letters', () => {
    expect(fold('АВЕЗКМНОРСТУХ аборсух ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ αγιονρυ')).toBe('ABE3KMHOPCTYX a6opcyx ABEZHIKMNOPTYX ayiovpu');
    expect(fold('жизнь длинный Φως ψή')).toBe('жизнь длинный Φως ψή');
  });

  it('reads every dash as a hyphen-minus, those past the BMP included', () => {
    let every = '';
    for (let code = 0; code < 0x110000; code += 0x1000) {
      const codes = Array.from({ length: 0x1000 }, (_, i) => code + i).filter((c) => c < 0xd800 || c > 0xdfff);
      every += String.fromCodePoint(...codes);
    }
    const dashes = every.match(/\p{Dash}/gu) ?? [];
    expect(dashes).toContain('\u{10EAD}');
    for (const dash of dashes) expect(fold(`a${dash}b`), dash).toBe('a-b');
  });
});

describe('foldedView', () => {
  it('folds text as fold does, where NFKC composes, expands and shrinks it', () => {
    // Combining marks after ASCII and after other marks, ligatures, squared units, half-width kana that
    // compose, Hangul jamo that compose, an astral dash, an emoji.
    for (const text of ['e\u0301 a\u0308\u0301 ﬃ ㎏ ｶﾞ ﾊﾟ x', '\u1100\u1161\u11A8 САР\u0301Т', '\u0301lead и\u0306 ф\u{10EAD}😀', 'plain ASCII only']) {
      expect(foldedView(text).text, text).toBe(fold(text));
    }
  });

  it('maps what it finds back to where it was written', () => {
    const text = 'ﬃ ㎏ ＣＡＰ САР Ключ';
    const view = foldedView(text);
    const at = (found: string): string => {
      const start = view.text.indexOf(found);
      const [from, to] = view.origin(start, start + found.length);
      return text.slice(from, to);
    };
    expect(at('CAP')).toBe('ＣＡＰ');
    expect(at('CAP CAP')).toBe('ＣＡＰ САР');
    expect(at('kg')).toBe('㎏');
    // Part of what one character folded to maps to the whole character.
    expect(at('f')).toBe('ﬃ');
    expect(at('Kлюч')).toBe('Ключ');
  });
});

describe('splitEchoes', () => {
  it('joins hex pairs apart and base64 cut into lines, mapping back to where they were written', () => {
    const text = 'dump 00:11:22:33:44:55:66:77:88 and QUJDREVGR0hJSktMTU5PUFFS\n  U1RVVldY\\nWVo= end';
    const views = splitEchoes(text);
    expect(views.map((view) => view.text)).toEqual(['001122334455667788', 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo']);
    const [hex, base64] = views;
    expect(text.slice(...(hex?.origin(2, 6) ?? [0, 0]))).toBe('11:22');
    expect(text.slice(...(base64?.origin(20, 30) ?? [0, 0]))).toBe('UFFS\n  U1RVVl');
  });

  it('leaves alone short lines, fewer than 8 hex pairs and text with no encoding', () => {
    expect(splitEchoes('see the file\nfor details; MAC 00:1a:2b:3c:4d:5e; id 4f1c2a9e-1b2c-4d5e-8f90-123456789abc')).toEqual([]);
  });
});
