import { describe, expect, it } from 'vitest';
import { fold, foldedLower, foldedMatches, foldedView } from './secret-forms.js';

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

describe('foldedLower', () => {
  it('is fold with each character in lower case, one for one (a final sigma is a sigma)', () => {
    const lowerEach = (text: string): string => Array.from(text, (char) => (char.toLowerCase().length === char.length ? char.toLowerCase() : char)).join('');
    for (const text of ['e\u0301 ﬃ ㎏ ＣＡＰ САР\u0301Т ф\u{10EAD}😀', 'MiXeD ASCII', 'ΣΑΣ Ключ']) {
      expect(foldedLower(text), text).toBe(lowerEach(fold(text)));
    }
    expect(foldedLower('ΣΑΣ')).toBe('σaσ');
  });
});

describe('foldedMatches', () => {
  it('finds a secret written in look-alikes, in any case, wherever it stands: across the windows text is read in too', () => {
    const secret = foldedLower('CAPTURE-SECRET-123');
    for (const before of [0, 4080, 4095, 4096, 9000]) {
      const text = `${'ж'.repeat(before)}САРТURЕ-sЕсRЕТ-12З, САРТURЕ-SЕСRЕТ-12З`;
      expect(foldedMatches(text, [secret]), `${before}`).toEqual([
        [before, before + 18],
        [before + 20, before + 38],
      ]);
    }
  });
});
