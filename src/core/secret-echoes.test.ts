import { describe, expect, it } from 'vitest';
import { HexEchoes, dumpEchoes, lineEchoes } from './secret-echoes.js';

describe('lineEchoes', () => {
  it('joins base64 cut into lines, mapping back to where they were written', () => {
    const text = 'dump 00:11:22:33:44:55:66:77:88 and QUJDREVGR0hJSktMTU5PUFFS\n  U1RVVldY\\nWVo= end';
    const views = lineEchoes(text);
    expect(views.map((view) => view.text)).toEqual(['QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo']);
    expect(text.slice(...(views[0]?.origin(20, 30) ?? [0, 0]))).toBe('UFFS\n  U1RVVl');
  });

  it('starts a block at a short first line when the line after it is full: a body quoted from its middle', () => {
    const text = 'blob: QUJD\nREVGR0hJSktMTU5PUFFSU1RV\nVldY end';
    const views = lineEchoes(text);
    expect(views.map((view) => view.text)).toEqual(['QUJDREVGR0hJSktMTU5PUFFSU1RVVldY']);
    expect(text.slice(...(views[0]?.origin(2, 6) ?? [0, 0]))).toBe('JD\nRE');
  });

  it('leaves alone short lines and text with no encoding', () => {
    expect(lineEchoes('see the file\nfor details; MAC 00:1a:2b:3c:4d:5e; id 4f1c2a9e-1b2c-4d5e-8f90-123456789abc')).toEqual([]);
  });
});

describe('HexEchoes', () => {
  const at = (text: string, spans: Array<[number, number]>): string[] => spans.map(([from, to]) => text.slice(from, to));

  it('finds hex written whole or with bytes apart, in either case, from its first byte\'s prefix to its last digit', () => {
    const echoes = new HexEchoes(['001122334455667788']);
    const text = 'dump 00:11:22:33:44:55:66:77:88, 001122334455667788, {0x00,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88}';
    expect(at(text, echoes.read(text).spans)).toEqual(['00:11:22:33:44:55:66:77:88', '001122334455667788', '0x00,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88']);
    const upper = '\\x00\\x11\\x22\\x33\\x44\\x55\\x66\\x77\\x88 and 0011 2233 4455 6677 88'.toUpperCase().replaceAll('\\X', '\\x');
    expect(at(upper, echoes.read(upper).spans)).toEqual(['\\x00\\x11\\x22\\x33\\x44\\x55\\x66\\x77\\x88', '0011 2233 4455 6677 88']);
  });

  it('finds each of the needles that start alike, and where they overlap', () => {
    const echoes = new HexEchoes(['a1a2a3a4a5a6a7a8', 'a1a2a3b4b5b6b7b8', 'a5a6a7a8c1c2c3c4']);
    const text = 'a1 a2 a3 a4 a5 a6 a7 a8 c1 c2 c3 c4 / a1 a2 a3 b4 b5 b6 b7 b8';
    expect(at(text, echoes.read(text).spans)).toEqual(['a1 a2 a3 a4 a5 a6 a7 a8', 'a5 a6 a7 a8 c1 c2 c3 c4', 'a1 a2 a3 b4 b5 b6 b7 b8']);
  });

  it('leaves bytes more than 32 characters apart, and the first bytes of a needle alone', () => {
    const echoes = new HexEchoes(['001122334455667788']);
    expect(echoes.read(`00 11 22 33${' '.repeat(33)}44 55 66 77 88`).spans).toEqual([]);
    expect(echoes.read('00 11 22 33 44 55 66 77 89').spans).toEqual([]);
    expect(new HexEchoes([]).read('00 11 22 33 44 55 66 77 88').spans).toEqual([]);
  });
});

describe('dumpEchoes', () => {
  const at = (text: string, spans: Array<[number, number]>): string[] => spans.map(([from, to]) => text.slice(from, to));
  const echoes = new HexEchoes(['0011223344556677']);

  it('finds a needle that a dump\'s lines cut, its bytes and the whole column on each line, when its first bytes are cut too', () => {
    const text = 'dump: 0000  aa 00  |..|\n0002  11 22 33 44 55 66  |."3DUf|\n0008  77 bb  |w.|\nend';
    expect(echoes.read(text).cut).toBe(true);
    expect(at(text, dumpEchoes(text, echoes))).toEqual(['00', '|..|', '11 22 33 44 55 66', '|."3DUf|', '77', '|w.|']);
    // In a JSON string, the lines broken by escapes.
    const quoted = JSON.stringify(text);
    expect(at(quoted, dumpEchoes(quoted, echoes))).toEqual(['00', '|..|', '11 22 33 44 55 66', '|.\\"3DUf|', '77', '|w.|']);
  });

  it('does not join lines whose offsets do not follow on', () => {
    const text = '0000  00 11 22 33  |."3D|\n0010  44 55 66 77  |DUfw|';
    expect(dumpEchoes(text, echoes)).toEqual([]);
  });
});
