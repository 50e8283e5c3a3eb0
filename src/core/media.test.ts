import { describe, expect, it } from 'vitest';
import { isDataUrl, parseDataUrl } from './media.js';

describe('data URLs', () => {
  it('reads the media type and base64 data of data:<type>;base64,<data>', () => {
    expect(parseDataUrl('data:image/png;base64,iVBORw0KGgo=')).toEqual({ mediaType: 'image/png', data: 'iVBORw0KGgo=' });
    expect(parseDataUrl('data:application/vnd.ms-excel;base64,AAA')).toEqual({ mediaType: 'application/vnd.ms-excel', data: 'AAA' });
  });

  it('refuses data URLs that are not base64, lack a media type or carry parameters, and other URLs', () => {
    for (const url of ['data:image/png,abc', 'data:;base64,AAA', 'data:image;base64,AAA', 'data:text/plain;charset=utf-8;base64,AAA', 'https://x/y.png', '']) {
      expect(parseDataUrl(url)).toBeUndefined();
    }
  });

  it('tells a data: URL from others, whatever its case', () => {
    expect(isDataUrl('data:image/png,abc')).toBe(true);
    expect(isDataUrl('DATA:image/png;base64,AAA')).toBe(true);
    expect(isDataUrl('https://x/data:')).toBe(false);
  });
});
